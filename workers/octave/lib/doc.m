## doc: Octave's opens the manual in the info reader, which waits for a person at a terminal,
## and where the manual is not installed fails with "Octave installation is incomplete", as if
## the server were broken. In a cell, a function's own documentation, as `help NAME` shows it.
function doc (name)
  if (nargin == 0 || ! ischar (name))
    error ("doc: a cell cannot open Octave's manual; 'help NAME' shows a function's documentation");
  endif
  help (name);
endfunction
