## pause() without a time (or with Inf) waits for a key to be pressed: a cell runs unattended,
## with no key to press, and Octave's own waited until the cell's time ran out. Its output is
## all shown anyway, so the cell goes on at once. Any other use is Octave's own.
function varargout = pause (varargin)
  if (nargin == 0 || (isnumeric (varargin{1}) && isscalar (varargin{1}) && isinf (varargin{1}) && varargin{1} > 0))
    return;
  endif
  [varargout{1:nargout}] = builtin ("pause", varargin{:});
endfunction
