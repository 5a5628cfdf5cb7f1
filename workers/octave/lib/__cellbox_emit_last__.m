## Sends the cell's last events (its error, `done`) through `events`, a `cat` on fd 3 that the
## worker opened before the code came: starting one took some 15 ms of every cell's way to its
## end, and nothing can follow these, so they need no `cat` of their own to keep their order.
## If the cell closed it (`fclose all`), and perhaps opened a file of its own under its number,
## they take __cellbox_emit__'s way.
function __cellbox_emit_last__ (events, varargin)
  try
    if (strcmp (fopen (events), __cellbox_to_events__ ()) && fputs (events, sprintf ("%s\n", varargin{:})) == 0)
      pclose (events);
      return;
    endif
  catch
  end_try_catch
  __cellbox_emit__ (varargin{:});
endfunction
