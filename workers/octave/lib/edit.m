## edit() opens a file in an editor for a person to type into: a cell runs unattended, without
## one. Octave's own wrote a template file into the cell's folder and started `emacs`, which
## said "sh: 1: emacs: not found" (or, where an editor is installed, would wait for a person
## until the cell's time ran out). A clear error instead (__cellbox_no_input__.m).
function edit (varargin)
  __cellbox_no_input__ ("edit", "a cell has no editor to open; define the function in the cell, or write the file with fopen and fprintf");
endfunction
