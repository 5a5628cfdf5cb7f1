## The error of a function that would wait for a person at a terminal (input.m, keyboard.m,
## yes_or_no.m …): a cell runs unattended, with nothing to type into it. Octave's own, reading
## the cell's empty stdin, said "input: reading user-input failed!" (input), or asked again
## without end until the output limit (keyboard, yes_or_no).
function __cellbox_no_input__ (name, why)
  if (nargin < 2)
    why = "a cell runs unattended, with nothing to type into it; put the value in the code instead";
  endif
  error ("Cellbox:no-input", "%s: %s", name, why);
endfunction
