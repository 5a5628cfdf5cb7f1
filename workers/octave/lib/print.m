## print(), and saveas() through it: with the gnuplot toolkit, Octave makes PNG, PDF, JPEG and
## TIFF files by way of Ghostscript, and EPS files through epstool; where `gs` or `epstool` is
## not installed, `print -dpng fig.png` (the usual way to save a figure), `saveas (gcf,
## "fig.jpg")` and `print -depsc fig.eps` failed: "'gs' (Ghostscript) binary is required".
## gnuplot draws PNG, PDF and EPS itself, with its cairo terminals: without those programs they
## are asked for instead; JPEG and TIFF, which gnuplot's cairo does not write, are drawn as PNG
## and converted with imwrite. Everything else, and everything where the programs are there or
## with another toolkit, is Octave's own print, which the worker keeps a handle to (kernel.m)
## from before this file shadowed it.
function varargout = print (varargin)
  args = varargin;
  print_of_octave = getappdata (0, "__cellbox_print__");
  if (strcmp (graphics_toolkit (), "gnuplot"))
    [args, file, format] = cairo_devices (args, isempty (file_in_path (getenv ("PATH"), "gs")),
                                          isempty (file_in_path (getenv ("PATH"), "epstool")));
    if (! isempty (format))
      ## Drawn as PNG to a file of its own, then converted to the cell's file.
      target = args{file};
      png = [tempname() ".png"];
      args{file} = png;
      unwind_protect
        print_of_octave (args{:});
        imwrite (imread (png), target, format);
      unwind_protect_cleanup
        if (exist (png, "file"))
          unlink (png);
        endif
      end_unwind_protect
      return;
    endif
  endif
  [varargout{1:nargout}] = print_of_octave (args{:});
endfunction

## The arguments with the device gnuplot draws itself in place of one that needs a missing
## program; `file` is the index of the file name among them and `format` imwrite's format for
## a JPEG or TIFF (the file name then given the extension Octave would give it), or "".
function [args, file, format] = cairo_devices (args, no_gs, no_epstool)
  CAIRO = struct ();
  if (no_gs)
    CAIRO.png = "-dpngcairo";
    CAIRO.pdf = "-dpdfcairo";
    CAIRO.jpeg = "jpg";
    CAIRO.jpg = "jpg";
    CAIRO.tiff = "tiff";
    CAIRO.tif = "tiff";
  endif
  if (no_epstool)
    for name = {"eps", "epsc", "eps2", "epsc2"}
      CAIRO.(name{1}) = "-depscairo";
    endfor
  endif
  format = "";
  file = 0;
  device = 0;
  for i = 1:numel (args)
    a = args{i};
    if (! ischar (a) || isempty (a))
      continue;
    elseif (strncmpi (a, "-d", 2))
      device = i;
    elseif (a(1) != "-" && file == 0)
      file = i;
    endif
  endfor
  if (device > 0)
    name = lower (args{device}(3:end));
  elseif (file > 0)
    ## No device: Octave takes it from the file's extension.
    [~, ~, ext] = fileparts (args{file});
    name = lower (strrep (ext, ".", ""));
  else
    return;
  endif
  if (! isvarname (name) || ! isfield (CAIRO, name))
    return;
  endif
  to = CAIRO.(name);
  if (to(1) == "-")
    if (device > 0)
      args{device} = to;
    else
      args{end + 1} = to;
    endif
  elseif (file > 0)
    ## JPEG or TIFF: PNG for gnuplot, converted by print above.
    format = to;
    if (device > 0)
      args{device} = "-dpngcairo";
    else
      args{end + 1} = "-dpngcairo";
    endif
    [~, ~, ext] = fileparts (args{file});
    if (isempty (ext))
      args{file} = [args{file} "." to];
    endif
  endif
endfunction
