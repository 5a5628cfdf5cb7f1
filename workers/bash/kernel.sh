#!/usr/bin/bash
# Cellbox Bash language worker: runs one code cell with `bash -c`, events on fd 3.
#
# Started as `/usr/bin/bash kernel.sh` (see workers/protocol.ts for the contract). The cell's
# output is its own fd 1 and 2; this script only reports the exit status. Every JSON value it
# writes is a constant, a number, the version (digits and dots), a signal name (capitals,
# digits and `+`) or an interrupted or failed command, escaped, so printf makes valid JSON.

# Close the descriptors the device left open above the event pipe. Bash keeps this script open
# on a descriptor of its own (usually 255): that one stays. The glob's own descriptor for the
# directory is closed again by the time the loop runs; closing it twice is harmless.
for fd_path in /proc/self/fd/*; do
  fd=${fd_path##*/}
  if (( fd > 3 )) && ! [[ $fd_path -ef ${BASH_SOURCE[0]} ]]; then
    exec {fd}>&-
  fi
done
unset fd fd_path

# The cell runs in a child bash, so that `exit` ends only the cell; "$0" is `cell` for its error
# messages. It does not get the event pipe. The child is forked before this script says ready
# and reads the code itself, so that the cell's own bash is the only process made after the code
# came: a fork costs some 3 ms on a VM, and reading the code here (`$(cat)`: a subshell and cat)
# took two more before the cell's. `&` lets this script go on to say ready and wait; bash gives
# such a child /dev/null as stdin unless told otherwise (0<&0), and ignores SIGINT and SIGQUIT in
# it: `trap -` gives them back (bash 5.2's exec does too). read -N reads blocks (-d '' reads byte
# by byte), and with LC_ALL=C it counts bytes, so the code comes unchanged whatever its encoding
# (NUL bytes are dropped, as `$(...)` drops them). Line ends are read as Python reads them:
# CRLF (an HTML form's textarea sends its code so, a file from Windows has it) is LF; bash took
# the CR as part of each line, and `then\r` or `fi\r` made any `if` a syntax error ("unexpected
# end of file"). exec does not put `_` in the environment as running a command does: `_=` does.
#
# Stop comes as SIGINT to every process of the sandbox: interrupt.bash, which the cell's bash reads
# first (BASH_ENV: the cell's lines keep their numbers), sets how the cell ends on it and writes
# where it was to INTERRUPTED.
INTERRUPTED=${TMPDIR:-/tmp}/.cellbox-interrupted
# Where `set -e` ended the cell (errexit.bash): its status, line and command.
ERREXIT=${TMPDIR:-/tmp}/.cellbox-errexit
(
  trap - INT QUIT
  LC_ALL=C IFS= read -r -N 2147483647 code
  [[ $code == *$'\r'* ]] && code=${code//$'\r\n'/$'\n'}
  BASH_ENV=${BASH_SOURCE[0]%/*}/interrupt.bash _=$BASH exec "$BASH" -c "$code" cell </dev/null
) 0<&0 3>&- &
cell=$!

# The cell's stderr is kept at fd 4; this script's own goes nowhere while it waits, because bash
# reports a child killed by a signal with a line naming this script and its code
# ("kernel.sh: line 41: 5 Killed ( trap - INT QUIT; ...").
exec </dev/null 4>&2 2>/dev/null
# A SIGINT before this is set would end this script, not the cell: set before ready.
interrupted=0
trap 'interrupted=$(( interrupted + 1 ))' INT
printf '{"type":"ready","language":"bash","version":"%s","interrupt":true}\n' "${BASH_VERSION%%[!0-9.]*}" >&3
# A trapped signal ends `wait` at once, with 128 + its number: the cell's own end comes after, so
# a wait a signal came during is done again (asking whether the cell still ran, kill -0, missed
# one that had just ended, and took the 130 as its status). Bash then gives the status of a
# child it has reaped, but not always one reaped while its trap ran (-1): a cell that got the
# signal, and whose status is lost, is taken as ended by it.
seen=0
while :; do
  wait "$cell"
  status=$?
  if (( status < 0 )); then
    status=130
    break
  fi
  (( interrupted == seen )) && break
  seen=$interrupted
done
exec 2>&4 4>&-

# Killed by SIGXCPU: the cell's process reached its CPU-time limit. End the same way, without
# `done`, so that the device reports the limit it set (bwrap reports a signal N as 128 + N).
if (( status == 128 + 24 )); then
  exit "$status"
fi

# A command's text as the inside of a JSON string, cut at 200 characters, in `text`.
json_text() {
  text=$1
  (( ${#text} > 200 )) && text="${text:0:200}…"
  text=${text//\\/\\\\}
  text=${text//\"/\\\"}
  text=${text//$'\n'/\\n}
  text=${text//$'\t'/\\t}
  text=${text//[$'\001'-$'\037']/?}
}

# Stopped by its reader: where the cell's bash wrote it was, as bash names a line in its errors.
if (( interrupted && status != 0 )); then
  traceback=
  if [[ -s $INTERRUPTED ]]; then
    { IFS= read -r line; IFS= read -r -d '' command; } <"$INTERRUPTED"
    if [[ $line =~ ^[0-9]+$ ]]; then
      json_text "$command"
      traceback="\"cell: line $line: $text: interrupted\""
    fi
  fi
  printf '{"type":"error","ename":"KeyboardInterrupt","evalue":"interrupted","traceback":[%s]}\n' "$traceback" >&3
  printf '{"type":"done","status":"error"}\n' >&3
  exit 0
fi

if (( status == 0 )); then
  printf '{"type":"done","status":"ok"}\n' >&3
else
  evalue="exit status $status"
  # 128 + N is how bash reports a process killed by signal N: name it.
  if (( status > 128 )) && signal=$(kill -l "$status" 2>/dev/null); then
    evalue+=" (killed by SIG${signal})"
  fi
  # Ended by `set -e` at a failed command: its line, as bash names a line in its errors.
  traceback=
  if [[ -s $ERREXIT ]]; then
    { IFS= read -r failed; IFS= read -r line; IFS= read -r -d '' command; } <"$ERREXIT"
    if [[ $failed == "$status" && $line =~ ^[0-9]+$ ]]; then
      json_text "$command"
      traceback="\"cell: line $line: ${text:+$text: }exit status $status, which ends the cell under set -e\""
    fi
  fi
  printf '{"type":"error","ename":"ExitStatus","evalue":"%s","traceback":[%s]}\n' "$evalue" "$traceback" >&3
  printf '{"type":"done","status":"error"}\n' >&3
fi
exit 0
