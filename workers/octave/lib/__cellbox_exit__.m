## exit() and quit() from a cell (exit.m, quit.m): Octave's own ended the process at once,
## without `done`, so exit(1) read as a crash of the worker (WorkerCrashed) and exit(0) lost
## the cell's figures. Here the cell ends as the worker would end it: figures shown, then an
## ExitStatus error for a status other than 0, then `done`; then Octave's own exit.
function __cellbox_exit__ (name, varargin)
  status = 0;
  for i = 1:numel (varargin)
    if (isnumeric (varargin{i}) && isscalar (varargin{i}))
      status = double (varargin{i});
    elseif (ischar (varargin{i}) && strcmpi (varargin{i}, "cancel"))
      builtin (name, varargin{:}); # only cancels a pending exit: nothing ends
      return;
    endif
  endfor
  folder = tempname ();
  mkdir (folder);
  try
    __cellbox_show_figures__ (folder, graphics_toolkit ());
  catch err
    fprintf (stderr, "The figures could not be shown: %s\n", err.message);
  end_try_catch
  __cellbox_flush__ ();
  if (status == 0)
    __cellbox_emit__ ('{"type":"done","status":"ok"}');
  else
    evalue = sprintf ("%s(%d)", name, status);
    __cellbox_emit__ (__cellbox_error__ ("ExitStatus", evalue, {["Octave exited: " evalue]}), '{"type":"done","status":"error"}');
  endif
  builtin (name, varargin{:});
endfunction
