## Sends events (JSON lines) to the device on fd 3.
##
## Octave writes only to descriptors it opened itself, and /dev/fd/3 cannot be opened again
## inside the sandbox (the pipe belongs to the device's user), so a `cat` that inherits fd 3
## copies them there. pclose() waits for it: the events are out before anything the cell writes
## next, and `done` is out before Octave exits. One `cat` per call, so lines that go out
## together share one. (A cell at its process limit may leave no room for the `cat` for a
## moment: it is tried again.)
function __cellbox_emit__ (varargin)
  text = sprintf ("%s\n", varargin{:});
  for attempt = 1:5
    events = popen (__cellbox_to_events__ (), "w");
    if (events >= 0)
      fputs (events, text);
      pclose (events);
      return;
    endif
    pause (0.05 * attempt);
  endfor
endfunction
