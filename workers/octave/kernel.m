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
## The worker's helpers are function files in lib/ (named __cellbox_…__), not functions of
## this script: a cell that starts with `clear all` (as many do) clears the functions Octave
## holds, and those in files come back from the path, which the worker sets again after the
## cell. The worker's state lives in this function's scope, not in the cell's workspace.

1; # a script file, not a function file

function __cellbox_main__ (worker_file)
  lib = fullfile (fileparts (worker_file), "lib");
  ## Octave's own print and gnuplot's drawing, kept before lib/ shadows them (see there).
  setappdata (0, "__cellbox_print__", @print);
  setappdata (0, "__cellbox_gnuplot_drawnow__", @__gnuplot_drawnow__);
  setappdata (0, "__cellbox_help__", @help);
  setappdata (0, "__cellbox_graphics_toolkit__", @graphics_toolkit);
  ## lib/ shadows some of Octave's functions on purpose (input, pause, exit, print …: a cell
  ## runs unattended and off screen), each saying why.
  warning ("off", "Octave:shadowed-function");
  addpath (lib);
  ## Frames in these are the worker's, not the cell's (a folder: every file in it).
  worker_files = {worker_file, [lib filesep]};

  more off;
  page_screen_output (false);
  page_output_immediately (true);
  crash_dumps_octave_core (false);
  sighup_dumps_octave_core (false);
  sigterm_dumps_octave_core (false);
  warning ("off", "Octave:gnuplot-graphics");
  warning ("off", "print:nogs");
  ## A warning's "called from" lines named the worker's folder and files, whatever the cell
  ## did ("__cellbox_main__ at line 77"): the warning alone, as for a script at the prompt.
  warning ("off", "backtrace");

  ## Figures off screen. gnuplot draws them when it is installed; without it the cell's plot
  ## commands say that no graphics toolkit is available.
  toolkit = "";
  if (any (strcmp (available_graphics_toolkits (), "gnuplot")) && ! isempty (file_in_path (getenv ("PATH"), "gnuplot")))
    graphics_toolkit ("gnuplot");
    toolkit = "gnuplot";
  endif
  set (0, "defaultfigurevisible", "off");
  ## A figure's paper position (what print and saveas draw it at) is the root's default until
  ## something sets the figure's position, and that default was worked out for a screen of 96
  ## pixels an inch; without a display Octave's is 72, to which a print sets it back. A cell's
  ## first `print -dpng` or `saveas` was 418 by 314 pixels and the next of the same figure 560
  ## by 420. The default now follows this screen, as a figure's own does, centred on the paper.
  try
    units = get (0, "defaultfigurepaperunits");
    set (0, "defaultfigurepaperunits", "inches");
    paper = get (0, "defaultfigurepapersize");
    inches = get (0, "defaultfigureposition")(3:4) / get (0, "screenpixelsperinch");
    set (0, "defaultfigurepaperposition", [(paper - inches) / 2, inches]);
    ## (Setting a default paper position made it a figure's own, "manual": kept "auto", so that
    ## it follows the position the cell gives a figure.)
    set (0, "defaultfigurepaperpositionmode", "auto");
    set (0, "defaultfigurepaperunits", units);
  catch
  end_try_catch

  folder = tempname ();
  mkdir (folder);
  cell_file = fullfile (folder, "cell.m");

  last_events = popen (__cellbox_to_events__ (), "w");
  __cellbox_emit__ (sprintf ('{"type":"ready","language":"octave","version":"%s","interrupt":true}', OCTAVE_VERSION));

  code = fread (stdin, Inf, "*char")';
  if (numel (code) >= 3 && all (double (code(1:3)) == [239 187 191]))
    code = code(4:end); # a UTF-8 byte order mark
  endif
  fid = fopen (cell_file, "w");
  fwrite (fid, code);
  fclose (fid);

  ## The parser first, so that a syntax error runs nothing. (Its warnings about a file that
  ## starts with `function` do not apply: the cell runs as a script.)
  error_event = "";
  state = warning ();
  warning ("off", "all");
  try
    __parse_file__ (cell_file);
    parsed = true;
  catch err
    parsed = false;
    ## Blank lines kept, as Octave prints the error (see __cellbox_report__.m).
    lines = strsplit (__cellbox_text__ (err.message, folder), "\n", "CollapseDelimiters", false);
    error_event = __cellbox_error__ ("ParseError", lines{1}, lines);
  end_try_catch
  warning (state);

  if (parsed)
    ## Stop (SIGINT) is Octave's interrupt: no try/catch catches it, and it ends the script,
    ## running each unwind_protect_cleanup on its way out. The cleanup here ends the cell as an
    ## interrupt, its output and figures kept. Octave keeps no place for it (err.stack,
    ## lasterror and dbstack are empty by then; debug_on_interrupt enters no debugger without
    ## a terminal): its traceback is empty.
    ran = false;
    unwind_protect
      try
        evalin ("base", sprintf ("source ('%s');", strrep (cell_file, "'", "''")));
      catch err
        fflush (stdout);
        fflush (stderr);
        cell_error = err;
        error_event = "pending";
      end_try_catch
      ran = true;
    unwind_protect_cleanup
      if (! ran)
        __cellbox_flush__ ();
        try
          __cellbox_show_figures__ (folder, toolkit);
        catch
        end_try_catch
        __cellbox_flush__ ();
        __cellbox_flush_files__ ();
        __cellbox_emit_last__ (last_events, __cellbox_error__ ("KeyboardInterrupt", "interrupted", {}), '{"type":"done","status":"error"}');
      endif
    end_unwind_protect
  endif

  ## The cell has ended (an interrupt in it ended it above). A Stop that lands now, while the
  ## worker shows its figures (a figure's deletefcn of the cell's own may still run in
  ## `close all`), ends what the worker was doing, not the cell: the cleanup reports the cell's
  ## own result, as the worker would have.
  reported = false;
  unwind_protect
    ## What the cell may have changed: the path (restoredefaultpath), and functions of its own
    ## that shadow the ones the worker uses (a `function print …` in the cell). Each is undone
    ## only where the cell may have done it, since it costs every cell's way to its end: the
    ## path set again (a rescan, some 8 ms) if the worker's folder is no longer first after the
    ## current one, the functions cleared (some 10 ms, and the worker's own then read again) if
    ## the cell's text says `function` at all. (One that spells it otherwise, through eval,
    ## can only break the report of its own end, as it could with a file in its folder.)
    entries = strsplit (path (), pathsep ());
    if (numel (entries) < 2 || ! strcmp (entries{2}, lib))
      warning ("off", "Octave:shadowed-function");
      addpath (lib);
    endif
    if (! isempty (strfind (code, "function")))
      clear functions;
    endif
    try
      __cellbox_show_figures__ (folder, toolkit);
    catch err
      fprintf (stderr, "The figures could not be shown: %s\n", err.message);
    end_try_catch
    __cellbox_flush__ ();
    if (strcmp (error_event, "pending"))
      error_event = __cellbox_report__ (cell_error, folder, worker_files);
    endif
    reported = true;
  unwind_protect_cleanup
    if (! reported)
      __cellbox_flush__ ();
      if (strcmp (error_event, "pending"))
        error_event = __cellbox_report__ (cell_error, folder, worker_files);
      endif
    endif
    __cellbox_flush_files__ ();
    if (isempty (error_event))
      __cellbox_emit_last__ (last_events, '{"type":"done","status":"ok"}');
    else
      __cellbox_emit_last__ (last_events, error_event, '{"type":"done","status":"error"}');
    endif
  end_unwind_protect
endfunction

## `1;` above set `ans` in the base workspace, which is the cell's: a fresh cell had `ans = 1`
## (`who` listed it, `disp(ans)` showed 1) where a fresh Octave has no `ans` at all.
clear ans;
__cellbox_main__ (mfilename ("fullpathext"));
