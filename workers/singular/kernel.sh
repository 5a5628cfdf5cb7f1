#!/usr/bin/bash
# Cellbox Singular language worker: runs one code cell as a Singular script, events on fd 3.
#
# Started as `/usr/bin/bash kernel.sh` (see workers/protocol.ts for the contract). Singular
# starts before `ready` (its standard library loaded, off the cell's way) and waits for its
# commands on a pipe. The cell is saved as `cell.sing` in the sandbox's /tmp (never in the cell's
# own folder, whose files are the cell's) and Singular runs it with `< "cell.sing";`, as a file
# is run at its prompt: results and printed text stream on fd 1 as they come, and the first
# error ends the file, so the cell stops there as a script does (typed at the prompt, Singular
# would report the error and go on with the next statement). Then `quit;`.
#
# Singular reports an error on stdout, each line starting "   ? " (a syntax error also says
# "   skipping text from …" first). Those lines are kept back (sed's `w`) and become the `error`
# event: SingularError, Singular's message its first "?" line, the traceback all of them, with
# the cell's lines ("error occurred in or before cell.sing line 2:"). Out of memory, Singular
# says "no more memory" and halts with status 14: a MemoryError.
# Stop is SIGINT: --cntrlc=r answers Singular's own question ("abort immediately"), which ends
# even a long kernel computation (a std() of a big ideal; "abort after this command" would wait
# for it to end): the file is left, the driver's `quit;` ends Singular, and the cell is a
# KeyboardInterrupt. Singular names no place for it, so its traceback is empty.

. "${BASH_SOURCE[0]%/*}/../lib/events.bash"
close_inherited_fds

folder=${TMPDIR:-/tmp}/.cellbox-singular
mkdir -p "$folder"
cell_file=$folder/cell.sing
held=$folder/error
crash=$folder/crash
commands=$folder/commands
# Written by the last line of the cell's file, once Singular has read the cell to its end (its
# first error ends the file before it): see below. In the file, not among the commands after it,
# where the cell's own read("") of standard input would take it for its line.
reached=$folder/reached
: >"$held"
: >"$crash"
mkfifo "$commands"

# Singular's stdout through sed, which passes every line at once (-u) but the error's, which it
# writes to $held, the warning its abort on Stop prints (Singular is ended right after), and the
# report of a crash, which it writes to $crash. Singular reports a fatal signal on stdout ("Singular
# : signal 11 …", "please inform the authors", "trying to restart..."), then carries on with the
# cell. Its abort on Stop, a longjmp out of the signal handler, can land in the middle of malloc
# and crash it so (a glibc assertion, signal 6): that report, after "started", was all a Stop
# showed of a long std() now and then.
# Singular takes SIGINT (a background job ignores it: trap - gives it back); sed keeps ignoring
# it, so that Stop ends Singular's work alone. Both are set up before `ready`.
(
  { trap - INT QUIT; echo "$BASHPID" >"$INTERPRETER_PID_FILE"; exec Singular --quiet --no-tty --no-rc --cntrlc=r <"$commands" 3>&-; } |
    { trap '' INT; exec sed -u -e '/^   ? \|^   skipping text from /{w '"$held" -e 'd;}' -e '/^Singular : signal [0-9]\|^current line:>>\|^Segment fault\/Bus error occurred\|^please inform the authors$\|^trying to restart\.\.\.$\|^fatal flex scanner internal error\|^Fatal glibc error: /{w '"$crash" -e 'd;}' -e '/^\*\* Warning: Singular should be restarted/d'; }
  exit "${PIPESTATUS[0]}"
) 3>&- &
singular_job=$!
exec {to}>"$commands"

trap_interrupts
# The version listed is the registry's probe's (Singular --dump-versiontuple).
emit_ready singular ""
# A `;` after the cell, on a line of its own: a last statement without one (`1+1`, SageMathCell's
# Singular mode takes it so) is ended and shows its value; after one that has it, an empty
# statement does nothing. The cell's lines keep their numbers.
{ cat; printf '\n;\nwrite(":w %s", "");\n' "$reached"; } >"$cell_file"
exec </dev/null
printf -v text '< "%s";\nquit;\n' "$cell_file"
send_commands "$to" "$text"
exec {to}>&-
wait_for "$singular_job"

mapfile -t lines <"$held"
if (( interrupted )) && (( status != 128 + 24 )); then
  # Ended on Stop, whatever Singular's status: the abort and the `quit;` after it.
  emit_error KeyboardInterrupt interrupted
  exit 0
fi
# A crash Singular carried on after: the cell's error, since what it computed after may not hold.
if [[ -s $crash ]] && (( status != 128 + 24 )); then
  mapfile -t lines <"$crash"
  # glibc's own line ("Fatal glibc error: …") may come before Singular's.
  where= signal=
  for line in "${lines[@]}"; do
    [[ -z $signal && $line =~ ^Singular\ :\ signal\ ([0-9]+) ]] && signal=${BASH_REMATCH[1]}
    [[ -z $where && $line == 'current line:>>'*'<<' ]] && { where=${line#current line:>>}; where=" at \`${where%<<}\`"; }
  done
  emit_error SingularError "Singular crashed (signal ${signal:-?})${where}, and carried on with the cell: its results after that may not hold" "${lines[@]}"
  exit 0
fi
if (( ${#lines[@]} )) && (( status != 128 + 24 )); then
  lines=("${lines[@]//"$cell_file"/cell.sing}")
  for line in "${lines[@]}"; do
    [[ $line == '   ? '* ]] && { message=${line#   ? }; break; }
  done
  emit_error SingularError "${message:-${lines[0]# }}" "${lines[@]}"
  exit 0
fi
if (( status == 14 )); then
  emit_error MemoryError 'Singular error: no more memory'
  exit 0
fi
# Singular's scanner takes a byte outside ASCII where a statement starts (a no-break space
# copied from a web page, U+00A0) as the end of its input, of the file and of everything after:
# Singular quit as if the cell were all, without an error, the rest never run. A cell that
# quits itself (`quit;`) ends before the mark too; one that holds no such byte ended so.
if (( status == 0 )) && [[ ! -e $reached ]]; then
  number=0
  export LC_ALL=C # bytes, whatever the cell's encoding
  while IFS= read -r line || [[ -n $line ]]; do
    number=$(( number + 1 ))
    if [[ $line == *[$'\x80'-$'\xff']* ]]; then
      emit_error SingularError "Singular stopped reading the cell before its end, without an error: it takes a character outside ASCII where a statement starts (such as a no-break space, U+00A0) as the end of its input, and the first one in the cell is on line $number. Replace it, or put it in a string or a comment."
      exit 0
    fi
  done <"$cell_file"
fi
end_without_error
