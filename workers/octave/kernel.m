## Cellbox Octave language worker: runs one code cell as an Octave script, events on fd 3.
##
## Started by kernel.sh as `octave-cli … kernel.m` (see workers/protocol.ts for the contract).
## The cell's code is saved as `cell.m` in a private temporary folder, checked by the parser
## first (a syntax error runs nothing and is a `ParseError` naming the cell's line), then run
## with source() in the base workspace, so statements without a semicolon show their values as
## at Octave's prompt, and functions defined in the cell work. Text goes out on the process's
## own fd 1 and 2. An error stops the cell and is an `error` event whose traceback is Octave's
## "error: …" and "called from" lines, with the cell's line numbers.
##
## Figures are drawn off screen (the gnuplot toolkit when gnuplot is installed) and shown as
## PNG (display_data) when the cell ends, in the order of their numbers, then closed. Files
## the cell writes itself (print -dsvg out.svg) are kept as its files.
##
## The worker's own functions are named __cellbox_…__ and keep their state in their own scope,
## not in the cell's workspace.

1; # a script file, not a function file

function __cellbox_emit__ (varargin)
  ## Events go out on fd 3. Octave writes only to descriptors it opened itself, and /dev/fd/3
  ## cannot be opened again inside the sandbox (the pipe belongs to the device's user), so a
  ## `cat` that inherits fd 3 copies them there. pclose() waits for it: the events are out
  ## before anything the cell writes next, and `done` is out before Octave exits. One `cat` per
  ## call, so lines that go out together share one. (A cell at its process limit may leave no
  ## room for the `cat` for a moment: it is tried again.)
  text = sprintf ("%s\n", varargin{:});
  for attempt = 1:5
    events = popen ("exec /bin/cat >&3", "w");
    if (events >= 0)
      fputs (events, text);
      pclose (events);
      return;
    endif
    pause (0.05 * attempt);
  endfor
endfunction

function __cellbox_flush__ ()
  fflush (stdout);
  fflush (stderr);
endfunction

## The worker's temporary folder (and the cell's file in it) reads as plain `cell.m`.
function text = __cellbox_clean__ (text, folder)
  text = strrep (text, [folder filesep], "");
  text = strrep (text, folder, "");
endfunction

function json = __cellbox_error__ (ename, evalue, traceback)
  event = struct ("type", "error", "ename", ename, "evalue", evalue);
  event.traceback = {};
  for i = 1:numel (traceback)
    event.traceback{end + 1} = traceback{i};
  endfor
  json = jsonencode (event);
  if (numel (traceback) == 1)
    ## jsonencode writes a 1x1 cell array as a plain string: keep it a list.
    json = strrep (json, ["\"traceback\":" jsonencode(traceback{1})], ["\"traceback\":[" jsonencode(traceback{1}) "]"]);
  elseif (isempty (traceback))
    json = regexprep (json, '"traceback":(\[\]|\{\}|"")', '"traceback":[]');
  endif
endfunction

## Octave's own report of an uncaught error: "error: message", then "error: called from" and
## the frames of the cell (not of this worker).
function json = __cellbox_report__ (err, folder, worker_file)
  message = __cellbox_clean__ (err.message, folder);
  traceback = strsplit (["error: " message], "\n");
  frames = {};
  for i = 1:numel (err.stack)
    s = err.stack(i);
    if (strcmp (s.file, worker_file))
      continue;
    endif
    name = __cellbox_clean__ (s.name, folder);
    if (s.line > 0)
      frames{end + 1} = sprintf ("    %s at line %d column %d", name, s.line, s.column);
    else
      frames{end + 1} = sprintf ("    %s", name);
    endif
  endfor
  if (! isempty (frames))
    traceback = [traceback, {"error: called from"}, frames];
  endif
  ename = err.identifier;
  if (isempty (ename))
    ename = "error";
  endif
  json = __cellbox_error__ (ename, message, traceback);
endfunction

## Every figure still open, as PNG, in the order of its number; then closed.
function __cellbox_show_figures__ (folder, toolkit)
  figures = sort (get (0, "children"));
  if (isempty (figures))
    return;
  endif
  __cellbox_flush__ ();
  device = "-dpng";
  if (strcmp (toolkit, "gnuplot"))
    device = "-dpngcairo";
  endif
  events = {};
  for h = figures(:)'
    file = fullfile (folder, sprintf ("figure%d.png", h));
    try
      print (h, file, device, "-S640,480");
      fid = fopen (file, "r");
      bytes = fread (fid, Inf, "*uint8")';
      fclose (fid);
      unlink (file);
      ## The size is in the PNG header (IHDR): two big-endian 32-bit numbers at byte 17.
      width = double (bytes(17:20)) * [16777216; 65536; 256; 1];
      height = double (bytes(21:24)) * [16777216; 65536; 256; 1];
      events{end + 1} = sprintf (['{"type":"display_data","data":{"image/png":"%s","text/plain":"<Figure %d>"},' ...
                                  '"metadata":{"image/png":{"width":%d,"height":%d}}}'],
                                 matlab.net.base64encode (bytes), h, width, height);
    catch err
      fprintf (stderr, "Figure %d could not be shown: %s\n", h, err.message);
    end_try_catch
  endfor
  close all;
  if (! isempty (events))
    __cellbox_emit__ (events{:});
  endif
endfunction

function __cellbox_main__ (worker_file)
  more off;
  page_screen_output (false);
  page_output_immediately (true);
  crash_dumps_octave_core (false);
  sighup_dumps_octave_core (false);
  sigterm_dumps_octave_core (false);
  warning ("off", "Octave:gnuplot-graphics");
  warning ("off", "print:nogs");

  ## Figures off screen. gnuplot draws them when it is installed; without it the cell's plot
  ## commands say that no graphics toolkit is available.
  toolkit = "";
  if (any (strcmp (available_graphics_toolkits (), "gnuplot")) && ! isempty (file_in_path (getenv ("PATH"), "gnuplot")))
    graphics_toolkit ("gnuplot");
    toolkit = "gnuplot";
  endif
  set (0, "defaultfigurevisible", "off");

  folder = tempname ();
  mkdir (folder);
  cell_file = fullfile (folder, "cell.m");

  __cellbox_emit__ (sprintf ('{"type":"ready","language":"octave","version":"%s"}', OCTAVE_VERSION));

  code = fread (stdin, Inf, "*char")';
  if (numel (code) >= 3 && all (double (code(1:3)) == [239 187 191]))
    code = code(4:end); # a UTF-8 byte order mark
  endif
  fid = fopen (cell_file, "w");
  fwrite (fid, code);
  fclose (fid);

  failed = false;
  ## The parser first, so that a syntax error runs nothing. (Its warnings about a file that
  ## starts with `function` do not apply: the cell runs as a script.)
  state = warning ();
  warning ("off", "all");
  try
    __parse_file__ (cell_file);
    parsed = true;
  catch err
    parsed = false;
    parse_error = err;
  end_try_catch
  warning (state);

  if (! parsed)
    message = __cellbox_clean__ (parse_error.message, folder);
    lines = strsplit (message, "\n");
    error_event = __cellbox_error__ ("ParseError", lines{1}, lines);
    failed = true;
  else
    try
      evalin ("base", sprintf ("source ('%s');", strrep (cell_file, "'", "''")));
    catch err
      __cellbox_flush__ ();
      error_report = err;
      failed = true;
    end_try_catch
  endif

  try
    __cellbox_show_figures__ (folder, toolkit);
  catch err
    fprintf (stderr, "The figures could not be shown: %s\n", err.message);
  end_try_catch
  __cellbox_flush__ ();
  if (failed && parsed)
    error_event = __cellbox_report__ (error_report, folder, worker_file);
  endif
  if (failed)
    __cellbox_emit__ (error_event, '{"type":"done","status":"error"}');
  else
    __cellbox_emit__ ('{"type":"done","status":"ok"}');
  endif
endfunction

__cellbox_main__ (mfilename ("fullpathext"));
