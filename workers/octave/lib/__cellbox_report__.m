## Octave's own report of an uncaught error, as an `error` event: "error: message", then
## "error: called from" and the frames of the cell (not of this worker). `worker_files` names
## the worker's files, and its folders (ending in a file separator) for every file in them.
function json = __cellbox_report__ (err, folder, worker_files)
  message = __cellbox_text__ (err.message, folder);
  traceback = strsplit (["error: " message], "\n");
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
