## The command of a `cat` that copies what it is given to fd 3, the device's event pipe
## (__cellbox_emit__ says why a `cat`). It ignores SIGINT: Stop's reaches every process of the
## sandbox, and the one kept for the cell's last events must live to write them.
function command = __cellbox_to_events__ ()
  command = "trap '' INT; exec /bin/cat >&3";
endfunction
