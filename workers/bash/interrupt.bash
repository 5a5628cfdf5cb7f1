# Read by the cell's bash before the cell's code (kernel.sh runs it with BASH_ENV pointing here):
# what makes the reader's Stop end the cell where it is, saying the line.
#
# Stop comes as SIGINT to every process of the sandbox, as Ctrl-C to a terminal's foreground jobs
# (device/spawner.py): the command running ends on it, and this bash writes down where it was
# (for kernel.sh, at $__cellbox_where) and ends by the signal, as bash does at Ctrl-C. A signal
# trap's own LINENO is the trap's line, not the cell's, so the line comes from the trap that runs
# next: ERR's, for the command the signal ended (an external one, as nearly always: `sleep`, a
# pipeline), or else DEBUG's, before the next command (a loop of builtins), or EXIT's. They are
# inherited into the cell's functions (set -ET). DEBUG's is set only once the signal came: set
# for every command, it made a loop of builtins ten times slower. A cell that traps or ignores
# SIGINT itself has its own way, and is killed after the grace.
unset BASH_ENV  # the cell's own bash scripts start as usual
__cellbox_where=/tmp/.cellbox-interrupted
__cellbox_stop() {
  # First: with set -T the DEBUG trap runs before this function's own commands too.
  trap - DEBUG ERR EXIT
  printf '%s\n%s' "$1" "$__cellbox_command" >"$__cellbox_where" 2>/dev/null
  trap - INT
  kill -INT $$
}
__cellbox_interrupted() {
  __cellbox_command=$BASH_COMMAND
  __cellbox_stopping=1
  trap '__cellbox_stop $LINENO' DEBUG
}
set -ET
trap __cellbox_interrupted INT
trap '[[ -z $__cellbox_stopping ]] || __cellbox_stop $LINENO' ERR EXIT
# The cell finds $_ as a bash started by kernel.sh without this file has it.
: "$BASH"
