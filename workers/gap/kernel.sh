#!/usr/bin/bash
# Cellbox GAP language worker: runs one code cell as GAP reads a script, events on fd 3.
#
# Started as `/usr/bin/bash kernel.sh MEMORY_MIB` (see workers/protocol.ts for the contract). GAP
# takes over a second to start (its library and packages): it starts before `ready`, off the
# cell's way (the pool keeps one warm), and reads the cell from stdin (a `;` after it, see below),
# statement by statement as at its prompt: a statement's value is shown unless it ends with `;;`,
# printed text streams on fd 1 as it comes.
#
# -q -b: no prompt, no banner; -r: no user's GAP root (gap.ini); --quitonbreak: an error quits
# GAP (status 1) instead of entering a break loop, which would wait for input forever: the cell
# ends there, as a script's error ends it; --alwaystrace: the error's "called from" lines in
# full; -o: past half the cell's memory limit in workspace (GAP itself takes some 140 MB) GAP
# stops with its own "reached the pre-set memory limit" error, a MemoryError; the address-space
# limit itself would make it panic ("cannot extend the workspace", a MemoryError too).
#
# GAP writes errors on stderr: an error's lines ("Error, …" to the end, where GAP quits) are
# kept back and become the `error` event, GAPError with GAP's message. A syntax error does not
# stop GAP, at its prompt or in a script: it skips the statement and goes on (GAP has no way to
# be told otherwise; a filter that killed it on seeing one would race the statements after).
# Its lines (the message, the cell's line, a caret) are kept back too, and the cell then ends as
# a GAPError naming the first one, all of them its traceback: it does not pass for a cell that
# ran, nor hides behind an error it led to. Stop is SIGINT, GAP's "user interrupt" error, which quits it
# (--quitonbreak): a KeyboardInterrupt whose traceback is GAP's lines saying where it was.

. "${BASH_SOURCE[0]%/*}/../lib/events.bash"
close_inherited_fds

workspace_mib=$(( ${1:-512} / 2 ))
loaded=${TMPDIR:-/tmp}/.cellbox-gap-loaded
held=${TMPDIR:-/tmp}/.cellbox-gap-error
syntax=${TMPDIR:-/tmp}/.cellbox-gap-syntax
: >"$held"
: >"$syntax"

# GAP's stderr, line by line: through at once, but each syntax error's lines (its message, the
# line of the cell, the caret) into $syntax, and from an error's first line on (or a panic's),
# everything into $held.
filter_errors() {
  local line holding= noting=0
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ -n $holding || $line == 'Error, '* || $line == 'Panic'* ]]; then
      holding=1
      printf '%s\n' "$line" >>"$held"
      continue
    fi
    [[ $line == 'Syntax error: '* ]] && noting=3
    if (( noting > 0 )); then
      printf '%s\n' "$line" >>"$syntax"
      (( noting-- ))
    else
      printf '%s\n' "$line" >&2
    fi
  done
}

# GAP says it has loaded (-c, run before it reads its input) on a FIFO, which this script holds
# open both ways, so that neither side's open waits for the other.
mkfifo "$loaded"
exec {loaded_fd}<>"$loaded"

# Read at GAP's start: its help and Pager() print their text whole, not a screen at a time
# waiting for a key read from the cell (pager.g says why); InputTextUser() is empty, not the
# cell (input.g).
pager=${BASH_SOURCE[0]%/*}/pager.g
input=${BASH_SOURCE[0]%/*}/input.g
#
# As the PARI/GP worker: GAP reads the device's pipe, its stdout is the cell's, its stderr goes
# through the filter; GAP takes SIGINT, the filter ignores it. Set up before `ready`.
#
# The pipe comes through cat with a `;` after it, on a line of its own: a last statement without
# one (`f(3)`, which SageMathCell's GAP mode takes, as Sage's gap.eval() adds it) met the end of
# the input in GAP's reader, "Syntax error: ; expected" and nothing shown. After a statement that
# has one, GAP reads an empty statement. cat ignores SIGINT: a Stop ends GAP, not its input.
exec 5>&1
(
  { trap - INT QUIT; echo "$BASHPID" >"$INTERPRETER_PID_FILE"; exec gap -q -b -r --quitonbreak --alwaystrace -o "${workspace_mib}m" -c "Read(\"$pager\"); Read(\"$input\"); PrintTo(\"$loaded\", \"loaded\\n\");" 2>&1 1>&5 5>&- {loaded_fd}>&-; } | { trap '' INT; filter_errors; }
  exit "${PIPESTATUS[0]}"
) 0< <(trap '' INT; exec 3>&- 5>&- {loaded_fd}>&-; cat; printf '\n;\n') 3>&- &
gap_job=$!
exec </dev/null 5>&-

# The version listed is the registry's probe's (gap -h).
ready_once_loaded gap "$gap_job"
wait_for "$gap_job"

mapfile -t lines <"$held"
while (( ${#lines[@]} )) && [[ -z ${lines[-1]} ]]; do unset 'lines[-1]'; done
if (( ${#lines[@]} )) && (( status != 128 + 24 )); then
  if (( interrupted )); then
    emit_error KeyboardInterrupt interrupted "${lines[@]}"
    exit 0
  fi
  # GAP's message: from the first line, without "Error, ", to the " in" or " called from"
  # that lead to the place on the next line, and the place (" at FILE:LINE") the last line may
  # end with. A message of several lines (Error("n must be positive,\nnot ", n), the library's
  # "…is not loaded,\ncall `LoadPackage( \"CTblLib\" )'…") was cut to its first. It ends before
  # GAP's "not in any function" line, or a second error's own "Error, ".
  message=${lines[0]#Error, }
  i=1
  while (( i < ${#lines[@]} && i < 20 )); do
    message=${message%"${message##*[! ]}"}
    [[ $message == *' in' || $message == *' called from' ]] && break
    [[ ${lines[i]} == 'not in any function'* || ${lines[i]} == 'Error, '* ]] && break
    message+=$'\n'${lines[i]}
    (( i++ ))
  done
  message=${message%"${message##*[! ]}"}
  message=${message% in}
  message=${message% called from}
  if [[ $message =~ ^(.*)\ at\ [^\ ]+:[0-9]+$ ]]; then
    message=${BASH_REMATCH[1]}
  fi
  if [[ $message == 'reached the pre-set memory limit'* || $message == *'cannot extend the workspace'* ]]; then
    # Without GAP's "(change it with the -o command line option)": a cell has no command line.
    emit_error MemoryError "${message%%$'\n'*}" "${lines[@]}"
  elif [[ -s $syntax ]]; then
    # A syntax error before the error GAP quit on, which it skipped: often its cause (a `;`
    # missing after `fi` left a function unassigned, then "Variable: 'f' must have a value"), and
    # the first thing wrong in the cell. It is the cell's message; both are its traceback.
    mapfile -t before <"$syntax"
    emit_error GAPError "${before[0]}" "${before[@]}" "${lines[@]}"
  else
    emit_error GAPError "$message" "${lines[@]}"
  fi
  exit 0
fi
if (( status == 0 )) && [[ -s $syntax ]]; then
  mapfile -t lines <"$syntax"
  emit_error GAPError "${lines[0]}" "${lines[@]}"
  exit 0
fi
end_without_error
