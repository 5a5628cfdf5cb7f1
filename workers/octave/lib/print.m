## print(), and saveas() through it: with the gnuplot toolkit, Octave makes PNG and PDF files by
## way of Ghostscript, and where `gs` is not installed `print -dpng fig.png` (the usual way to
## save a figure) failed: "'gs' (Ghostscript) binary is required". gnuplot draws both itself,
## with its cairo terminals: without Ghostscript those are asked for instead. Everything else,
## and everything with Ghostscript or another toolkit, is Octave's own print, which the worker
## keeps a handle to (kernel.m) from before this file shadowed it.
function varargout = print (varargin)
  args = varargin;
  if (strcmp (graphics_toolkit (), "gnuplot") && isempty (file_in_path (getenv ("PATH"), "gs")))
    args = cairo_devices (args);
  endif
  print_of_octave = getappdata (0, "__cellbox_print__");
  [varargout{1:nargout}] = print_of_octave (args{:});
endfunction

function args = cairo_devices (args)
  CAIRO = struct ("png", "-dpngcairo", "pdf", "-dpdfcairo");
  has_device = false;
  file = "";
  for i = 1:numel (args)
    a = args{i};
    if (! ischar (a) || isempty (a))
      continue;
    elseif (strncmpi (a, "-d", 2))
      has_device = true;
      device = lower (a(3:end));
      if (isfield (CAIRO, device))
        args{i} = CAIRO.(device);
      endif
    elseif (a(1) != "-" && isempty (file))
      file = a;
    endif
  endfor
  if (! has_device)
    ## No device: Octave takes it from the file's extension.
    [~, ~, ext] = fileparts (file);
    ext = lower (strrep (ext, ".", ""));
    if (isfield (CAIRO, ext))
      args{end + 1} = CAIRO.(ext);
    endif
  endif
endfunction
