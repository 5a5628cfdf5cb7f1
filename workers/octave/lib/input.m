## input() waits for a person at a terminal: in a cell, a clear error (__cellbox_no_input__.m).
function varargout = input (varargin)
  __cellbox_no_input__ ("input");
endfunction
