## Text the cell wrote goes out before any event that follows it.
function __cellbox_flush__ ()
  fflush (stdout);
  fflush (stderr);
endfunction
