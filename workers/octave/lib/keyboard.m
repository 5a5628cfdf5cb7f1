## keyboard() waits for a person at a debug prompt: in a cell, a clear error
## (__cellbox_no_input__.m). Octave's own prompted "keyboard> " without end.
function keyboard (varargin)
  __cellbox_no_input__ ("keyboard", "a cell runs unattended, with no prompt to debug at; show values with disp() instead");
endfunction
