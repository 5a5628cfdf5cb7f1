#!/usr/bin/bash
# Cellbox Maxima language worker: runs one code cell as a Maxima script, events on fd 3.
#
# Started as `/usr/bin/bash kernel.sh` (see workers/protocol.ts for the contract). Maxima (the
# build Sage uses, maxima-sage, on ECL) takes half a second to start: it starts before `ready`,
# reading its commands from a FIFO, loads kernel.lisp and says it is there, and only then does
# this script say `ready` (the pool keeps one warm). The cell is saved as `cell.mac` in the
# sandbox's /tmp (never in the cell's own folder) and run by kernel.lisp's cellbox-run, which
# runs it statement by statement as Maxima's prompt would, results shown in 2D, and ends it at
# the first error (kernel.lisp says how and why). Then `quit()`.
#
# The error's message (Maxima's own: "expt: undefined: 0 to a negative exponent.", a syntax
# error with its line and caret) comes back in a file and becomes the `error` event, MaximaError
# (a MemoryError when the Lisp ran out of memory). Stop is SIGINT, which ends Maxima's work at
# once (ECL's interactive interrupt): a KeyboardInterrupt. Maxima names no place for it, so its
# traceback is empty. ECL says ";;; Loading …" as it loads its modules at start: sed drops it.

. "${BASH_SOURCE[0]%/*}/../lib/events.bash"
close_inherited_fds

folder=${TMPDIR:-/tmp}/.cellbox-maxima
mkdir -p "$folder"
cell_file=$folder/cell.mac
held=$folder/error
commands=$folder/commands
loaded=$folder/loaded
: >"$held"
mkfifo "$commands" "$loaded"
# Maxima's share packages compiled ahead by scripts/build.mjs, where it could: Maxima loads a
# Lisp package from its user folder's binary/ when compiled there, and compiled it otherwise,
# which took a cell's load(draw) some 30 s in this folder, new for every cell. Copied before
# `ready` (a few MB), so each cell has its own, as it has its own folder.
compiled=${BASH_SOURCE[0]%/*}/compiled/binary
if [[ -d $compiled ]]; then
  cp -R "$compiled" "$folder/" || echo "Maxima's compiled share packages could not be copied; load() compiles them, slowly" >&2
fi
exec {loaded_fd}<>"$loaded"

# --userdir: Maxima's own folder in /tmp, not in the cell's. Maxima takes SIGINT (trap -), sed
# ignores it. Maxima keeps fd 3, the event pipe: kernel.lisp shows the cell's plots there, drawn
# into plot.png in the folder.
(
  { trap - INT QUIT; echo "$BASHPID" >"$INTERPRETER_PID_FILE"; exec maxima-sage --very-quiet --userdir="$folder" <"$commands" {loaded_fd}>&-; } |
    { trap '' INT; exec sed -u -e '/^;;; Loading #P"/d' 3>&-; }
  exit "${PIPESTATUS[0]}"
) {loaded_fd}>&- &
maxima_job=$!
exec {to}>"$commands"
printf ':lisp (progn (load "%s" :verbose nil) (cellbox-loaded "%s"))\n' "${BASH_SOURCE[0]%/*}/kernel.lisp" "$loaded" >&"$to"

# The version listed is the registry's probe's (maxima-sage --version).
ready_once_loaded maxima "$maxima_job"
cat >"$cell_file"
exec </dev/null
# A last statement without its `;` (`1+1`, as SageMathCell's Maxima mode takes it) gets one: the
# prompt would wait for it, and the reader at the end of the file drops the statement unseen.
last=$(tail -c 200 "$cell_file")
last=${last%"${last##*[![:space:]]}"}
if [[ -n $last && $last != *[\;\$] && $last != *'*/' ]]; then
  printf '\n;\n' >>"$cell_file"
fi
printf -v text ':lisp (cellbox-run "%s" "%s" "%s")\nquit()$\n' "$cell_file" "$held" "$folder/plot.png"
send_commands "$to" "$text"
exec {to}>&-
wait_for "$maxima_job"

if (( status == 128 + 24 )); then
  end_without_error
fi
mapfile -t lines <"$held"
if (( interrupted )); then
  emit_error KeyboardInterrupt interrupted
  exit 0
fi
if (( ${#lines[@]} )); then
  lines=("${lines[@]//"$cell_file"/cell.mac}")
  while (( ${#lines[@]} )) && [[ -z ${lines[-1]} ]]; do unset 'lines[-1]'; done
  message=${lines[0]}
  if [[ ${message,,} == *'memory'* || ${message,,} == *'heap exhausted'* ]]; then
    emit_error MemoryError "${lines[*]}" "${lines[@]}"
  else
    emit_error MaximaError "$message" "${lines[@]}"
  fi
  exit 0
fi
end_without_error
