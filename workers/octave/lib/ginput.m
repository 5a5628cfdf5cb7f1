## ginput() waits for a click in a figure's window: a cell's figures are drawn off screen, so
## Octave's own waited until the cell's time ran out. A clear error instead.
function varargout = ginput (varargin)
  __cellbox_no_input__ ("ginput", "a cell's figures are drawn off screen, with no window to click in");
endfunction
