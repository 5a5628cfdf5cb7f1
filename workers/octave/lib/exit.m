## exit() from a cell ends it as the worker would: see __cellbox_exit__.m.
function exit (varargin)
  __cellbox_exit__ ("exit", varargin{:});
endfunction
