## graphics_toolkit: a cell's figures are drawn off screen by gnuplot (kernel.m). Octave's qt and
## fltk toolkits draw in a window and are not available without a display, so a cell that
## starts as lecture notes often do, with graphics_toolkit ("qt"), failed before its first line
## of its own: "graphics_toolkit: qt toolkit is not available". Such a request keeps gnuplot,
## with a warning that says so. Everything else is Octave's own, which the worker keeps a
## handle to (kernel.m) from before this file shadowed it.
function varargout = graphics_toolkit (varargin)
  of_octave = getappdata (0, "__cellbox_graphics_toolkit__");
  name = "";
  if (nargin == 1 || nargin == 2)
    name = varargin{end};
  endif
  if (ischar (name) && any (strcmpi (name, {"qt", "fltk"}))
      && ! any (strcmpi (available_graphics_toolkits (), name))
      && strcmp (of_octave (), "gnuplot"))
    warning ("Cellbox:graphics-toolkit",
             "graphics_toolkit: '%s' draws in a window, which a cell does not have: its figures are drawn with gnuplot",
             name);
    if (nargout > 0)
      varargout{1} = "gnuplot";
    endif
    return;
  endif
  [varargout{1:nargout}] = of_octave (varargin{:});
endfunction
