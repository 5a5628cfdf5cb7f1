#!/usr/bin/bash
# Cellbox R language worker, first step: closes the descriptors the device left open above the
# event pipe (R cannot close a descriptor by number), then becomes R running kernel.R, which
# does the rest (see workers/protocol.ts for the contract). Bash's own descriptor for this
# script is close-on-exec and goes with the exec.
for fd_path in /proc/self/fd/*; do
  fd=${fd_path##*/}
  if (( fd > 3 )) && ! [[ $fd_path -ef ${BASH_SOURCE[0]} ]]; then
    exec {fd}>&-
  fi
done
unset fd fd_path

# --vanilla: no site or user profile, no saved workspace; --no-echo: the script's own lines
# are not echoed. stdin stays free for the cell's code.
exec R --vanilla --no-echo --file="${BASH_SOURCE[0]%/*}/kernel.R"
