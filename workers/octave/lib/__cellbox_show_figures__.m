## Every figure still open, as PNG (display_data), in the order of its number; then closed.
function __cellbox_show_figures__ (folder, toolkit)
  figures = sort (get (0, "children"));
  if (isempty (figures))
    return;
  endif
  __cellbox_flush__ ();
  device = "-dpng";
  if (strcmp (toolkit, "gnuplot"))
    device = "-dpngcairo";
  endif
  events = {};
  for h = figures(:)'
    file = fullfile (folder, sprintf ("figure%d.png", h));
    try
      print (h, file, device, figure_size (h));
      fid = fopen (file, "r");
      bytes = fread (fid, Inf, "*uint8")';
      fclose (fid);
      unlink (file);
      ## The size is in the PNG header (IHDR): two big-endian 32-bit numbers at byte 17.
      width = double (bytes(17:20)) * [16777216; 65536; 256; 1];
      height = double (bytes(21:24)) * [16777216; 65536; 256; 1];
      events{end + 1} = sprintf (['{"type":"display_data","data":{"image/png":"%s","text/plain":"<Figure %d>"},' ...
                                  '"metadata":{"image/png":{"width":%d,"height":%d}}}'],
                                 matlab.net.base64encode (bytes), h, width, height);
    catch err
      fprintf (stderr, "Figure %d could not be shown: %s\n", h, err.message);
    end_try_catch
  endfor
  close all;
  if (! isempty (events))
    __cellbox_emit__ (events{:});
  endif
endfunction

## The size to draw a figure at: 640 by 480, unless the cell gave the figure a size of its own
## (figure ("position", [x y w h]), as MATLAB code sizes its figures), in pixels: w by h. That
## was ignored, and every figure was 640 by 480.
function size = figure_size (h)
  size = "-S640,480";
  try
    position = get (h, "position");
    if (strcmp (get (h, "units"), "pixels") && ! isequal (position(3:4), get (0, "defaultfigureposition")(3:4)))
      width = round (position(3));
      height = round (position(4));
      if (width >= 16 && height >= 16 && width <= 4096 && height <= 4096)
        size = sprintf ("-S%d,%d", width, height);
      endif
    endif
  catch
  end_try_catch
endfunction
