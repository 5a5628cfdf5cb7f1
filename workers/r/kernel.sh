#!/usr/bin/bash
# Cellbox R language worker, first step: closes the descriptors the device left open above the
# event pipe (R cannot close a descriptor by number), then becomes R running kernel.R, which
# does the rest (see workers/protocol.ts for the contract). Bash's own descriptor for this
# script is close-on-exec and goes with the exec. The closing is workers/lib/events.bash's, as
# the other launchers'.
. "${BASH_SOURCE[0]%/*}/../lib/events.bash"
close_inherited_fds

# --vanilla: no site or user profile, no saved workspace; --no-echo: the script's own lines
# are not echoed. stdin stays free for the cell's code.
exec R --vanilla --no-echo --file="${BASH_SOURCE[0]%/*}/kernel.R"
