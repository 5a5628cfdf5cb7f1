## What the cell wrote to files it left open (fopen without fclose) goes to them before its
## `done`: Octave's exit would flush them, but the device ends the worker at `done`, and such a
## file was listed empty. Regular files only: a pipe's flush may wait for a reader that is gone.
function __cellbox_flush_files__ ()
  for fid = fopen ("all")
    try
      st = stat (fopen (fid));
      if (! isempty (st) && S_ISREG (st.mode))
        fflush (fid);
      endif
    catch
    end_try_catch
  endfor
endfunction
