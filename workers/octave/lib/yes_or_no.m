## yes_or_no() waits for a person at a terminal: in a cell, a clear error (__cellbox_no_input__.m).
function varargout = yes_or_no (varargin)
  __cellbox_no_input__ ("yes_or_no");
endfunction
