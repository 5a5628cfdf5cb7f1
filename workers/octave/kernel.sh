#!/usr/bin/bash
# Cellbox Octave language worker, first step: closes the descriptors the device left open above
# the event pipe (Octave cannot close a descriptor by number), then becomes octave-cli running
# kernel.m, which does the rest (see workers/protocol.ts for the contract). Bash's own
# descriptor for this script is close-on-exec and goes with the exec. The closing is
# workers/lib/events.bash's, as the other launchers'.
. "${BASH_SOURCE[0]%/*}/../lib/events.bash"
close_inherited_fds

# No startup files, no history, no window system; stdin stays free for the cell's code.
exec octave-cli --norc --no-history --no-window-system --no-line-editing --quiet "${BASH_SOURCE[0]%/*}/kernel.m"
