# Sourced by the Bash launchers of interpreted languages (workers/gp/kernel.sh …): how they
# write events on fd 3 (see workers/protocol.ts for the contract), and the ends every one of
# them shares (the cell's error, Stop, the CPU-time limit, an exit status). The compiled
# languages' launcher (workers/compiled/kernel.sh) takes its events and descriptors from here
# too, not the waits and ends: it runs a program of its own, not an interpreter; R's and
# Octave's, which exec their interpreter at once, only the closing of descriptors.

# Closes the descriptors the device left open above the event pipe. Bash keeps the script that
# sources this open on a descriptor of its own (usually 255), and this file on another while
# it reads it: those stay.
close_inherited_fds() {
  local fd_path fd
  for fd_path in /proc/self/fd/*; do
    fd=${fd_path##*/}
    if (( fd > 3 )) && ! [[ $fd_path -ef ${BASH_SOURCE[1]} || $fd_path -ef ${BASH_SOURCE[0]} ]]; then
      exec {fd}>&-
    fi
  done
}

# A JSON string for arbitrary text (an interpreter's message): quotes, backslashes and control
# characters escaped. Bytes that are not UTF-8 stay as they are; the device decodes the line
# with replacement characters, so the JSON stays valid.
json_string() {
  local s=$1 code char
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/\\r}
  if [[ $s == *[$'\x01'-$'\x1f\x7f']* ]]; then
    for code in {1..8} 11 12 {14..31} 127; do
      printf -v char "\\x$(printf %02x "$code")"
      s=${s//"$char"/$(printf '\\u%04x' "$code")}
    done
  fi
  printf '"%s"' "$s"
}

emit_ready() { # language version
  printf '{"type":"ready","language":%s,"version":%s,"interrupt":true}\n' "$(json_string "$1")" "$(json_string "$2")" >&3
}

emit_done() {
  printf '{"type":"done","status":"ok"}\n' >&3
}

# The cell's error, then `done`: ename, evalue, then the traceback's lines.
emit_error() {
  local ename=$1 evalue=$2 line tb='' sep=''
  shift 2
  for line in "$@"; do
    tb+="$sep$(json_string "$line")"
    sep=,
  done
  printf '{"type":"error","ename":%s,"evalue":%s,"traceback":[%s]}\n' "$(json_string "$ename")" "$(json_string "$evalue")" "$tb" >&3
  printf '{"type":"done","status":"error"}\n' >&3
}

# Waits for the interpreter's job ($1) while counting the SIGINTs (Stop) that come meanwhile in
# `interrupted`, and sets `status` to its exit status. A trapped signal ends `wait` at once, with
# 128 + its number: the job's own end comes after, so a wait a signal came during is done again
# (as workers/bash/kernel.sh does, which says why). The trap must be set before `ready`: a SIGINT
# before it would end the launcher, not the cell.
#
# An interpreter that waits for a command of the cell's (gp's system(), GAP's Exec()) ignores
# SIGINT meanwhile, as C's system() does: Stop ends the command, and the interpreter would go on
# with the cell. So a Stop the interpreter has not ended on within a moment is given to it once
# more, by its pid in the file $2 (which the launcher writes as it starts it); it stops where it
# then is. The device kills whatever still runs after its grace.
INTERPRETER_PID_FILE=${TMPDIR:-/tmp}/.cellbox-interpreter-pid
interrupted=0
# Writes $2 to descriptor $1: commands for an interpreter that may have quit before they are all
# written. bash's printf writes each line apart, and a cell's own quit (Singular's `quit;`,
# Maxima's quit()) ends the interpreter between the line that runs the cell and the `quit` after
# it: the second write killed this launcher with SIGPIPE, and the cell that had ended well was
# reported as crashed. What is left unwritten then is of no use.
send_commands() {
  trap '' PIPE
  printf '%s' "$2" >&"$1" 2>/dev/null
  trap - PIPE
}
trap_interrupts() {
  trap 'interrupted=$(( interrupted + 1 ))' INT
}
# `ready` for language $1 once its interpreter, job $2, says on the FIFO open at $loaded_fd that
# it has loaded, so that a warm worker is one whose interpreter is ready for the cell; or once
# it has ended (it failed to start: the cell then finds the worker gone). Stop's trap is set
# first. The version listed is the registry's probe's.
ready_once_loaded() {
  local language=$1 job=$2
  until read -r -t 1 -u "$loaded_fd" _; do
    kill -0 "$job" 2>/dev/null || break
  done
  exec {loaded_fd}<&-
  trap_interrupts
  emit_ready "$language" ""
}
wait_for() {
  local job=$1 seen=0 pid
  while :; do
    wait "$job"
    status=$?
    if (( status < 0 )); then
      status=130
      break
    fi
    (( interrupted == seen )) && break
    seen=$interrupted
    if kill -0 "$job" 2>/dev/null; then
      sleep 0.3
      if kill -0 "$job" 2>/dev/null && IFS= read -r pid <"$INTERPRETER_PID_FILE" && [[ $pid =~ ^[0-9]+$ ]]; then
        kill -INT "$pid" 2>/dev/null
      fi
    fi
  done
}

# The ends every interpreter's launcher shares once the interpreter has ended with `status`
# and no error of its own: the CPU-time limit (SIGXCPU) ends the launcher the same way, without
# `done`, so that the device reports the limit it set (bwrap reports a signal N as 128 + N);
# Stop is a KeyboardInterrupt (the device names it Interrupted) with `$@` as its traceback;
# another status is an ExitStatus naming a signal when one killed the interpreter.
end_without_error() {
  if (( status == 128 + 24 )); then
    exit "$status"
  fi
  # Stopped, even where the interpreter went on and ended well: a Stop that only ended a
  # command the cell ran (gp's system(), GAP's Exec(), whose interpreter ignores SIGINT while it
  # waits) still stopped the cell.
  if (( interrupted )); then
    emit_error KeyboardInterrupt interrupted "$@"
    exit 0
  fi
  if (( status == 0 )); then
    emit_done
    exit 0
  fi
  local evalue="exit status $status" signal
  if (( status > 128 )) && signal=$(kill -l "$status" 2>/dev/null); then
    evalue+=" (killed by SIG$signal)"
  fi
  emit_error ExitStatus "$evalue"
  exit 0
}
