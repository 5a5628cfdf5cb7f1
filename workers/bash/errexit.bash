# Read by the cell's bash before the cell's code (interrupt.bash sources it): where `set -e` ended
# the cell, for kernel.sh to name in the error.
#
# Under `set -e` a failed command ends the cell without a word of its own (`false`, a `grep` that
# found nothing, a `cp` whose message the cell hid), and the error said "exit status 1" alone:
# the reader had no line to look at. This ERR trap writes the failed command's status, line and
# command to ERREXIT; kernel.sh names them when the cell ended with that status. It writes only
# in the cell's own bash (not a subshell, whose end is the subshell's) and only under `set -e`.
# It is set only in a cell whose code says `set -e` (or `-o errexit`) somewhere: an ERR trap runs
# at every failed command, and made a loop of them (`[ "$i" -lt 0 ]` as a statement) some ten
# times slower. For a pipeline the command left is its last, which may not be the one that failed
# (`set -o pipefail`): the line is written without it. The trap is the worker's: the `trap`
# function in interrupt.bash leaves it out of what it lists, the cell's own ERR trap replaces
# it, and `trap - ERR` sets it again.
__cellbox_errexit=${TMPDIR:-/tmp}/.cellbox-errexit
__cellbox_on_err=
if [[ $BASH_EXECUTION_STRING =~ (^|[^[:alnum:]_-])set[[:space:]]+(-[[:alpha:]]*e|-o[[:space:]]+errexit) ]]; then
  __cellbox_on_err='__cellbox_errexit_at $? $LINENO "$BASH_COMMAND" ${#PIPESTATUS[@]}'
fi
# No `return` of a status: a function that an ERR trap calls and that returns one left bash
# complaining at the cell's end ("pop_var_context: head of shell_variables not a function context").
__cellbox_errexit_at() {
  if [[ $- == *e* && $BASHPID == "$$" ]]; then
    (( $4 > 1 )) && set -- "$1" "$2" ''
    printf '%s\n%s\n%s' "$1" "$2" "$3" >"$__cellbox_errexit" 2>/dev/null
  fi
}
if [[ $__cellbox_on_err ]]; then
  builtin trap "$__cellbox_on_err" ERR
fi
