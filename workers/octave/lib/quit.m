## quit() from a cell ends it as the worker would: see __cellbox_exit__.m.
function quit (varargin)
  __cellbox_exit__ ("quit", varargin{:});
endfunction
