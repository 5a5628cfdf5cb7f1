# Read by the cell's bash before the cell's code (kernel.sh runs it with BASH_ENV pointing here):
# what makes the reader's Stop end the cell where it is, saying the line.
#
# Stop comes as SIGINT to every process of the sandbox, as Ctrl-C to a terminal's foreground jobs
# (device/spawner.py): the command running ends on it, and this bash writes down where it was
# (for kernel.sh, at $__cellbox_where) and ends by the signal, as bash does at Ctrl-C. A signal
# trap's own LINENO is the trap's line, not the cell's, so the line comes from the trap that runs
# next, which the INT trap sets: ERR's, for the command the signal ended (an external one, as
# nearly always: `sleep`, a pipeline), right after the INT trap; or else DEBUG's, before the next
# command, or EXIT's. ERR's is not run for a command in an if's or a loop's condition, nor
# before `||` or `&&`, nor is the signal's trap run before a loop of builtins ends the builtin it
# was in: DEBUG's or EXIT's line is that of the command after it, so the line is then the nearest
# line of the cell, before that one or else after it, that holds the command the signal ended
# ($BASH_COMMAND in the INT trap). Set -ET hands the traps to the cell's functions. The INT trap
# alone is set while the cell runs: DEBUG's set for every command made a loop of builtins ten
# times slower, and the cell's own ERR and EXIT traps are its own until Stop.
#
# The cell sees only its own traps, as a script in a terminal does: `trap` is a function that
# leaves the worker's traps (this file's INT trap, errexit.bash's ERR trap) out of what it lists,
# and puts each back when the cell resets it (`trap - INT`). A cell that traps SIGINT itself has
# its trap run on Stop, as bash runs it at Ctrl-C, and goes on (killed after the grace if it does
# not end); one that ignores it is killed.
unset BASH_ENV  # the cell's own bash scripts start as usual
__cellbox_where=${TMPDIR:-/tmp}/.cellbox-interrupted
__cellbox_on_int='__cellbox_interrupted'
__cellbox_trap_errors=${TMPDIR:-/tmp}/.cellbox-trap-errors.$$
__cellbox_stop() {
  # First: with set -T the DEBUG trap runs before this function's own commands too.
  builtin trap - DEBUG ERR EXIT
  local line=$1
  [[ $2 == exact ]] || __cellbox_nearest_line "$line" "$__cellbox_command"
  printf '%s\n%s' "$line" "$__cellbox_command" >"$__cellbox_where" 2>/dev/null
  builtin trap - INT
  kill -INT $$
}
# Sets `line` (the caller's) to the cell's line nearest $1 that holds the command $2: the last at
# or before it, else the first after it; leaves it as it is if none does.
__cellbox_nearest_line() {
  local -a lines
  local i n=$1
  [[ -n $2 && -n $BASH_EXECUTION_STRING ]] || return
  mapfile -t lines <<<"$BASH_EXECUTION_STRING"
  (( n > ${#lines[@]} )) && n=${#lines[@]}
  for (( i = n; i >= 1; i-- )); do
    [[ ${lines[i - 1]} == *"$2"* ]] && { line=$i; return; }
  done
  for (( i = n + 1; i <= ${#lines[@]}; i++ )); do
    [[ ${lines[i - 1]} == *"$2"* ]] && { line=$i; return; }
  done
}
__cellbox_interrupted() {
  __cellbox_command=$BASH_COMMAND
  builtin trap '__cellbox_stop $LINENO exact' ERR
  builtin trap '__cellbox_stop $LINENO' DEBUG EXIT
}
# The builtin, less the worker's traps (INT's, ERR's): each listed only when the cell set its own,
# and set again when the cell resets it. Its errors name the cell's line, as the builtin's own do.
trap() {
  local status ours_int ours_err listed
  listed=$(builtin trap -p INT ERR)
  [[ $listed == "trap -- '$__cellbox_on_int' SIGINT"* ]] && ours_int=1 || ours_int=
  [[ $__cellbox_on_err && $listed == *"trap -- '$__cellbox_on_err' ERR" ]] && ours_err=1 || ours_err=
  status=0  # a failure is the cell's command's, not one more for an ERR trap in here (set -E)
  if [[ $# == 0 || $1 == -p || $1 == -P ]]; then
    [[ $ours_int ]] && builtin trap - INT
    [[ $ours_err ]] && builtin trap - ERR
    builtin trap "$@" 2>"$__cellbox_trap_errors" || status=$?
    [[ $ours_int ]] && builtin trap "$__cellbox_on_int" INT
    [[ $ours_err ]] && builtin trap "$__cellbox_on_err" ERR
  else
    builtin trap "$@" 2>"$__cellbox_trap_errors" || status=$?
    # `trap -p INT ERR` lists INT's first, each ending with its name.
    listed=$(builtin trap -p INT ERR)
    [[ $listed == *"' SIGINT"$'\n'* || $listed == *"' SIGINT" ]] || builtin trap "$__cellbox_on_int" INT
    [[ -z $__cellbox_on_err || $listed == *"' ERR" ]] || builtin trap "$__cellbox_on_err" ERR
  fi
  if [[ -s $__cellbox_trap_errors ]]; then
    while IFS= read -r listed; do
      printf '%s: line %s: trap: %s\n' "$0" "${BASH_LINENO[0]}" "${listed#*: trap: }" >&2
    done <"$__cellbox_trap_errors"
  fi
  return "$status"
}
set -ET
builtin trap "$__cellbox_on_int" INT
. "${BASH_SOURCE[0]%/*}/errexit.bash"
# The cell finds $_ as a bash started by kernel.sh without this file has it.
: "$BASH"
