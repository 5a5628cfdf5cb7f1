## The `error` event, as JSON.
function json = __cellbox_error__ (ename, evalue, traceback)
  event = struct ("type", "error", "ename", ename, "evalue", evalue);
  event.traceback = {};
  for i = 1:numel (traceback)
    event.traceback{end + 1} = traceback{i};
  endfor
  json = jsonencode (event);
  if (numel (traceback) == 1)
    ## jsonencode writes a 1x1 cell array as a plain string: keep it a list.
    one = jsonencode (traceback{1});
    json = strrep (json, ["\"traceback\":" one], ["\"traceback\":[" one "]"]);
  elseif (isempty (traceback))
    json = regexprep (json, '"traceback":(\[\]|\{\}|"")', '"traceback":[]');
  endif
endfunction
