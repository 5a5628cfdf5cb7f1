## The gnuplot toolkit draws a figure that is visible on a screen: without one (gnuplot-nox, no
## display) on its "dumb" terminal, as ASCII art on the cell's stdout. A figure turns visible
## more often than asked for: `figure(1)` of an existing figure does it, and `shg`, so a cell
## going back to its first figure printed each as 24 lines of characters before its images.
## A cell's figures are shown as PNG when it ends (__cellbox_show_figures__.m): drawing one to
## a screen is skipped. Drawing to a file (print, saveas: a terminal and a file given) is
## gnuplot's own, through the handle the worker kept (kernel.m) before this file shadowed it.
function __gnuplot_drawnow__ (h, varargin)
  if (nargin < 2)
    return;
  endif
  drawnow_of_octave = getappdata (0, "__cellbox_gnuplot_drawnow__");
  drawnow_of_octave (h, varargin{:});
endfunction
