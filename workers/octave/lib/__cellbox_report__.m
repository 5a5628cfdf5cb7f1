## Octave's own report of an uncaught error, as an `error` event: "error: message", then
## "error: called from" and the frames of the cell (not of this worker). `worker_files` names
## the worker's files, and its folders (ending in a file separator) for every file in them.
function json = __cellbox_report__ (err, folder, worker_files)
  message = __cellbox_text__ (err.message, folder);
  ## Line by line as Octave prints it, blank lines kept: strsplit's default collapsed them, and
  ## a message in paragraphs ("The 'getReport' function is not yet implemented …") ran together.
  traceback = strsplit (["error: " message], "\n", "CollapseDelimiters", false);
  frames = {};
  for i = 1:numel (err.stack)
    s = err.stack(i);
    if (any (cellfun (@(w) strcmp (s.file, w) || (w(end) == filesep && strncmp (s.file, w, numel (w))), worker_files)))
      continue;
    endif
    name = __cellbox_text__ (s.name, folder);
    if (s.line > 0)
      frames{end + 1} = sprintf ("    %s at line %d column %d", name, s.line, s.column);
    else
      frames{end + 1} = sprintf ("    %s", name);
    endif
  endfor
  if (! isempty (frames))
    traceback = [traceback, {"error: called from"}, frames];
  endif
  note = defined_below (err, folder);
  if (! isempty (note))
    traceback{end + 1} = note;
  endif
  ename = __cellbox_text__ (err.identifier, folder);
  if (isempty (ename))
    ename = "error";
  elseif (strcmp (ename, "Octave:bad-alloc"))
    ## An allocation that failed (at the memory limit): a MemoryError, as in every language's
    ## cell that passes it; Octave's message stays.
    ename = "MemoryError";
  endif
  json = __cellbox_error__ (ename, message, traceback);
endfunction

## A function the cell defines further down, called before it: Octave defines a script's
## functions as it reaches them, and MATLAB takes them at the end of a script, where a course
## written for MATLAB has them. Octave's "'sq' undefined" alone did not say so.
function note = defined_below (err, folder)
  note = "";
  if (! strcmp (err.identifier, "Octave:undefined-function"))
    return;
  endif
  name = regexp (err.message, "^'([A-Za-z]\\w*)' undefined", "tokens", "once");
  if (isempty (name))
    return;
  endif
  try
    code = fileread (fullfile (folder, "cell.m"));
  catch
    return;
  end_try_catch
  pattern = ['(^|\n)[ \t]*function\s+(\[[^\]\n]*\]\s*=\s*|\w+\s*=\s*)?' name{1} '\s*($|[\n(;,%#])'];
  if (! isempty (regexp (code, pattern, "once")))
    note = sprintf (["note: '%s' is a function of the cell defined further down: Octave defines a script's " ...
                     "functions as it reaches them, so each must come before its first use (MATLAB takes " ...
                     "them at the end of a script)"], name{1});
  endif
endfunction
