## The command of a `cat` that copies what it is given to fd 3, the device's event pipe
## (__cellbox_emit__ says why a `cat`).
function command = __cellbox_to_events__ ()
  command = "exec /bin/cat >&3";
endfunction
