## Text for an event: the worker's temporary folder (and the cell's file in it) reads as plain
## `cell.m`, and bytes that are not UTF-8 become "?" (jsonencode and strsplit refuse them).
function text = __cellbox_text__ (text, folder)
  text = strrep (text, [folder filesep], "");
  text = strrep (text, folder, "");
  b = double (text);
  n = numel (b);
  i = 1;
  while (i <= n)
    c = b(i);
    if (c < 128)
      i += 1;
      continue;
    endif
    ## The length of the sequence this byte starts, and the range of its second byte.
    len = 0;
    lo = 128;
    hi = 191;
    if (c >= 194 && c <= 223)
      len = 2;
    elseif (c >= 224 && c <= 239)
      len = 3;
      if (c == 224) lo = 160; endif
      if (c == 237) hi = 159; endif
    elseif (c >= 240 && c <= 244)
      len = 4;
      if (c == 240) lo = 144; endif
      if (c == 244) hi = 143; endif
    endif
    ok = len > 0 && i + len - 1 <= n && b(i + 1) >= lo && b(i + 1) <= hi;
    if (ok && len > 2)
      rest = b(i + 2:i + len - 1);
      ok = all (rest >= 128 & rest <= 191);
    endif
    if (ok)
      i += len;
    else
      b(i) = 63;
      i += 1;
    endif
  endwhile
  text = char (b);
endfunction
