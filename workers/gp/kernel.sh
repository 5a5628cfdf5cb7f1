#!/usr/bin/bash
# Cellbox PARI/GP language worker: runs one code cell as a GP script, events on fd 3.
#
# Started as `/usr/bin/bash kernel.sh HEAP_MIB` (see workers/protocol.ts for the contract). gp
# starts before `ready` (some 25 ms, off the cell's way) and reads the cell from stdin itself,
# as it reads a script (`gp < cell.gp`): each statement runs as it comes, its output streams on
# fd 1. It shows a result as it does for a script, the value alone without its prompt's `%1 = `:
# as SageMathCell's gp mode (Sage's gp interface) shows it, and a result is told from printed
# text by the editor's line anyway. The history is kept: `%1`, `%` work as at the prompt.
#
# -f: no gprc (the system's turns on colours, escape codes in a browser); recover=0: the first
# error ends gp, as an error ends a script, instead of going on with the next statement;
# breakloop=0: never a break loop waiting for input; debugmem=0: no "increasing stack size"
# warnings; parisizemax: the stack may grow to HEAP_MIB, under the cell's memory limit (the
# registry passes three quarters of it), and past it the cell fails with PARI's "stack
# overflows", a MemoryError.
#
# GP writes its errors and warnings to stderr. Warnings and whatever else stream there as they
# come; an error's lines (from the first "  ***" line that is not a warning to the end: the error
# ends gp) are kept back and become the `error` event instead, PariError with GP's message.
# Stop is SIGINT, which GP takes as its "user interrupt" error: gp ends, and the cell with a
# KeyboardInterrupt whose traceback is GP's lines saying where it was.

. "${BASH_SOURCE[0]%/*}/../lib/events.bash"
close_inherited_fds

heap_mib=${1:-384}
held=${TMPDIR:-/tmp}/.cellbox-gp-error
: >"$held"

# gp's stderr, line by line: through at once, but an error's lines into $held (filter_errors).
. "${BASH_SOURCE[0]%/*}/filter-errors.bash"

# gp reads the device's pipe (0<&0: bash gives a background job /dev/null otherwise), its
# stdout is the cell's, its stderr goes through the filter. gp takes SIGINT (a background job
# ignores it: trap - gives it back); the filter ignores it, so that Stop ends gp alone and the
# filter keeps GP's last lines. (Both are set up before `ready`, long before a Stop can come.)
exec 5>&1
(
  { trap - INT QUIT; echo "$BASHPID" >"$INTERPRETER_PID_FILE"; exec gp -q -f -D recover=0 -D breakloop=0 -D debugmem=0 -D "parisizemax=${heap_mib}M" 2>&1 1>&5 5>&-; } | { trap '' INT; filter_errors; }
  exit "${PIPESTATUS[0]}"
) 0<&0 3>&- &
gp_job=$!
exec </dev/null 5>&-

trap_interrupts
# The version listed is the registry's probe's (gp --version-short).
emit_ready gp ""
wait_for "$gp_job"

mapfile -t lines <"$held"
while (( ${#lines[@]} )) && [[ -z ${lines[-1]} ]]; do unset 'lines[-1]'; done
if (( status == 0 )); then
  # Not an error after all (gp went on): what was kept back is the cell's stderr.
  (( ${#lines[@]} )) && printf '%s\n' "${lines[@]}" >&2
  end_without_error
fi
if (( ${#lines[@]} )) && (( status != 128 + 24 )); then
  # GP's message: its last "  ***" line that is not a place ("at top-level:", "in function f:")
  # or the caret under one. A syntax error's names the code around it ("unexpected '*': x=1+*2"),
  # which GP breaks at the error when the line is long: the code after it, the next line, is
  # the rest of the message (the caret under it, not the code, ends a short one).
  caret='^[-^]+$'
  message=
  syntax=0
  for line in "${lines[@]}"; do
    [[ $line == '  ***'* ]] || continue
    text=${line#  \*\*\*}
    text=${text#"${text%%[! ]*}"}
    if (( syntax )); then
      if [[ -n $text && ! $text =~ $caret ]]; then
        [[ $message == *: ]] && message+=' '
        message+=$text
      fi
      break
    fi
    [[ -z $text || $text == 'at top-level:'* || $text == 'in function '* || $text =~ $caret ]] && continue
    message=$text
    [[ $text == 'syntax error'* ]] && syntax=1
  done
  if (( interrupted )); then
    emit_error KeyboardInterrupt interrupted "${lines[@]}"
  elif [[ $message == *'the PARI stack overflows'* ]]; then
    emit_error MemoryError "$message" "${lines[@]}"
  else
    emit_error PariError "${message:-gp ended with status $status}" "${lines[@]}"
  fi
  exit 0
fi
end_without_error
