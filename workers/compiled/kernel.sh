#!/usr/bin/bash
# Cellbox worker for compiled languages (C with gcc, Fortran with gfortran): compiles the cell
# as one source file, then runs the program in the cell's directory. Events on fd 3.
#
# Started as `/usr/bin/bash kernel.sh c` or `… kernel.sh fortran` (see workers/protocol.ts for
# the contract). The cell is a whole program (C: with `main`; Fortran: a main program, whose
# `program` line is optional). It is compiled in the sandbox's private /tmp, never in the
# cell's directory, under the name `cell.c` or `cell.f90`, so the compiler's messages point at
# the cell's own lines. A compiler that fails is a `CompileError` whose traceback is the
# compiler's messages. Compiling happens inside the cell's sandbox, so it counts against the
# cell's limits like the program does. The program's stdin, which holds nothing, says so at
# its first read (runtime.c, linked with the cell).
#
# The environment chooses the compiler and its flags, so that two registry entries can share
# one compiler: CC, CFLAGS (default -O2) for C; FC, FFLAGS (default -O2 -fcheck=bounds
# -fno-backtrace) for Fortran; LDLIBS (default -lm for C) for both.

lang=${1:-c}
case $lang in
  c)
    compiler=${CC:-gcc}
    source_name=cell.c
    read -r -a flags <<<"${CFLAGS--O2}"
    read -r -a libs <<<"${LDLIBS--lm}"
    ;;
  fortran)
    compiler=${FC:-gfortran}
    source_name=cell.f90
    read -r -a flags <<<"${FFLAGS--O2 -fcheck=bounds -fno-backtrace}"
    read -r -a libs <<<"${LDLIBS-}"
    ;;
  *)
    echo "kernel.sh: unknown language '$lang' (c or fortran)" >&2
    exit 2
    ;;
esac

# How events are written (json_string, emit_error, emit_done), shared with the interpreters'
# launchers; then the descriptors the device left open above the event pipe are closed, as
# the Bash worker does.
. "${BASH_SOURCE[0]%/*}/../lib/events.bash"
close_inherited_fds

shopt -s extglob

# The first line of the compiler's messages that says what went wrong. gcc puts the place and
# the error on one line (`cell.c:4:3: error: …`); gfortran puts the place on a line of its own
# (`cell.f90:3:9:`), then the source, then `Error: …`.
first_error() {
  local line place=''
  local place_only='^[^ ]+:[0-9]+:[0-9]+:$' fortran_error='^(Fatal )?Error: ' gcc_error=': (fatal )?error: '
  while IFS= read -r line; do
    if [[ $line =~ $place_only ]]; then
      place=$line
    elif [[ $line =~ $fortran_error ]]; then
      printf '%s' "${place:+$place }$line"
      return
    elif [[ $line =~ $gcc_error || $line == *'undefined reference'* ]]; then
      printf '%s' "$line"
      return
    fi
  done <<<"$1"
  while IFS= read -r line; do
    if [[ ${line,,} == *error* ]]; then
      printf '%s' "$line"
      return
    fi
  done <<<"$1"
}

# The build folder: in the sandbox's private /tmp (outside the sandbox, as in the worker tests,
# a fresh one under $TMPDIR, removed at the end).
cell_dir=$PWD
build=$(mktemp -d "${TMPDIR:-/tmp}/cellbox-build.XXXXXX") || exit 1
trap 'rm -rf "$build"' EXIT

# A program's stdin says why it is empty at its first read (runtime.c), linked with the cell.
# Compiled once, by scripts/build.mjs (runtime.o beside this script): compiled here, by each
# spare, it took some 120 ms of CPU, as much as the cell's own compile, and back to back C cells
# cost nearly twice the CPU (the next cell's compile shared the machine with the spare's). Left
# out where it is missing, and for programs it cannot join: -static (its freopen() of any other
# stream finds glibc's own through dlsym(RTLD_NEXT), which a static program has not) and
# another ABI (-m32, -mx32). Without it a program reads an empty stdin as before.
shim=${BASH_SOURCE[0]%/*}/runtime.o
extra_objects=()
[[ -r $shim ]] && extra_objects=("$shim")
for flag in "${flags[@]}" "${libs[@]}"; do
  [[ $flag == -static || $flag == -m32 || $flag == -mx32 ]] && extra_objects=()
done

printf '{"type":"ready","language":"%s","version":""}\n' "$lang" >&3

cat >"$build/$source_name"
exec </dev/null

# Compile. The messages name `cell.c` (the file is compiled from its own folder); the linker's
# name for the compiler's temporary object file is of no use to anyone and goes.
cd "$build" || exit 1
# C: -Wmain, so that gcc says when main is not int (void main()), as -Wall would; as a warning
# even under a host's plain -Werror, for which such a program compiled (an error that flags
# the host chose do not ask for). With flags that warn of main already (-Wall, -pedantic …),
# whether it is an error stays theirs.
checks=()
if [[ $lang == c ]]; then
  checks=(-Wmain -Wno-error=main)
  for flag in "${flags[@]}"; do
    [[ $flag == @(-Wall|-Wmain|-pedantic|-Wpedantic|-pedantic-errors|-Werror=main) ]] && checks=()
  done
fi
messages=$("$compiler" "${flags[@]}" "${checks[@]}" -fdiagnostics-color=never -o "$build/cell" "$source_name" "${extra_objects[@]}" "${libs[@]}" 2>&1 </dev/null)
compiled=$?
# Fortran 77's fixed form (a C in column 1 for a comment, code from column 7, a continuation
# mark in column 6), as a numerical methods course's older code has it: the cell is free form
# (cell.f90), where such a comment is "Unclassifiable statement". A cell that does not compile
# so, and does as fixed form (cell.f), is that: it runs, with a note. (Free-form code with an
# error does not compile as fixed form either: its statements start before column 7. Its
# errors stay the free-form ones.)
if (( compiled != 0 )) && [[ $lang == fortran ]]; then
  cp "$source_name" cell.f
  if fixed_messages=$("$compiler" "${flags[@]}" -fdiagnostics-color=never -o "$build/cell" cell.f "${extra_objects[@]}" "${libs[@]}" 2>&1 </dev/null); then
    compiled=0
    messages="note: the cell is fixed-form Fortran (Fortran 77's columns), not free form: compiled as such, as cell.f"
    [[ -n $fixed_messages ]] && messages+=$'\n'"$fixed_messages"
  fi
fi
# void main(): its exit status is whatever its last call returned. Linked again so that main is
# called through runtime.c's __wrap_main, which returns 0 (runtime.c says why); the warning
# stays, for the cell to see. (If that link fails, the first program stays.)
void_main="return type of [^ ]*main[^ ]* is not [^ ]*int"
if (( compiled == 0 )) && [[ $lang == c && ${#extra_objects[@]} -gt 0 && $messages =~ $void_main ]] &&
    "$compiler" "${flags[@]}" -fdiagnostics-color=never -o "$build/cell-wrapped" "$source_name" "${extra_objects[@]}" \
      -Wl,--wrap=main "${libs[@]}" </dev/null >/dev/null 2>&1; then
  mv -f "$build/cell-wrapped" "$build/cell"
fi
messages=${messages//\/tmp\/cc+([A-Za-z0-9_]).o: /}
cd "$cell_dir" || exit 1

if (( compiled != 0 )); then
  # Keep the traceback to a readable size; the output cap would stop a huge one anyway.
  mapfile -t lines <<<"$messages"
  if (( ${#lines[@]} > 200 )); then
    lines=("${lines[@]:0:200}" "… ($(( ${#lines[@]} - 200 )) more lines)")
  fi
  evalue=$(first_error "$messages")
  # The linker's words for a cell without a program in it (empty, or only functions): what a
  # cell must be, instead, and after the linker's lines, which are what a page shows.
  if [[ $messages == *"undefined reference to \`main'"* ]]; then
    case $lang in
      c) evalue='the cell has no main(): a C cell is a whole program, such as: int main(void) { … return 0; }' ;;
      fortran) evalue='the cell has no main program: a Fortran cell is a whole program, its statements then `end`' ;;
    esac
    lines+=("CompileError: $evalue")
  # gfortran's words for statements without the `end` of their program (`print *, 1` alone),
  # when they are its first (after an unclosed `do`, its own error comes first and stays).
  elif [[ $lang == fortran && $evalue == *"Unexpected end of file in"* ]]; then
    evalue='the cell ends before its `end`: a Fortran cell is a whole program, its statements then `end`'
    lines+=("CompileError: $evalue")
  fi
  emit_error CompileError "${evalue:-the compiler failed with status $compiled}" "${lines[@]}"
  exit 0
fi
# Warnings of a successful compile are worth seeing: on the cell's stderr, before its output.
if [[ -n $messages ]]; then
  printf '%s\n' "$messages" >&2
fi

# Run the program. Its stdout is line-buffered, as on a terminal, so output streams as it is
# printed (C: stdbuf; gfortran's runtime: its own switch). Its stderr is the cell's (fd 4 for
# the moment); this script's own goes to a file while it waits, because bash reports a program
# killed by a signal with a line naming this script ("Segmentation fault"): not for the cell to
# see, but what tells such a program from one that exited with 128 + N itself.
notice=$build/notice
exec 4>&2 2>"$notice"
if [[ $lang == fortran ]]; then
  # gfortran's runtime says what went wrong on stderr only ("Fortran runtime error: Index '8'
  # of dimension 1 …" after "At line 4 of file cell.f90", then status 2), and the cell's error
  # said "exit status 2". Its stderr goes to the cell through tee, which keeps a copy for
  # fortran_error below; tee's own complaints (a full /tmp) go nowhere. The cell's last bytes
  # of stderr must come before its error:
  # tee is done once every writer of its pipe is gone, and says so on a pipe of its own (6, a
  # pipe opened for reading and writing: no end of file while this shell holds it), which is
  # read for up to a second: a process the program left running (execute_command_line("… &"))
  # may hold stderr open, and the cell must not run on for it. Then the copy is read as it is.
  exec 6<> <(:)
  exec 5> >(tee "$build/stderr" >&4 2>/dev/null; printf . >&6)
  GFORTRAN_UNBUFFERED_PRECONNECTED=y "$build/cell" 2>&5 3>&- 4>&- 5>&- 6>&-
  status=$?
  exec 5>&-
  read -r -t 1 -N 1 -u 6 || true
  exec 6>&-
else
  stdbuf -oL "$build/cell" 2>&4 3>&- 4>&-
  status=$?
fi
exec 2>&4 4>&-

if (( status == 0 )); then
  emit_done
  exit 0
fi

# The error gfortran's runtime wrote last, as an ename and an evalue: a run-time error ("At
# line 4 of file cell.f90", then "Fortran runtime error: …"), an allocation that failed ("In
# file 'cell.f90', around line 3: Error allocating … bytes: …"), or an `error stop` ("ERROR
# STOP bad value"). No traceback: the lines are on the cell's stderr just above. Sets `found`;
# false when there is none.
fortran_error() {
  local line where='' tail
  found=()
  [[ -s $build/stderr ]] || return 1
  tail=$(tail -c 4096 "$build/stderr")
  while IFS= read -r line; do
    if [[ $line =~ ^At\ line\ ([0-9]+)\ of\ file ]]; then
      where=" (line ${BASH_REMATCH[1]})"
      continue
    elif [[ $line == 'Fortran runtime error: '* ]]; then
      found=(FortranRuntimeError "${line#Fortran runtime error: }$where")
    elif [[ $line =~ ^In\ file\ \'[^\']*\',\ around\ line\ ([0-9]+):\ (Error\ allocating\ .*)$ ]]; then
      found=(MemoryError "${BASH_REMATCH[2]} (around line ${BASH_REMATCH[1]})")
    elif [[ $line == 'ERROR STOP'* ]]; then
      line=${line#ERROR STOP}
      line=${line# }
      found=(ErrorStop "${line:-error stop}")
    fi
    where=''
  done <<<"$tail"
  ((${#found[@]}))
}
if [[ $lang == fortran ]] && (( status > 0 && status < 128 )) && fortran_error; then
  emit_error "${found[@]}"
  exit 0
fi

# A status over 128 without bash's line: the program's own exit(139), not a signal. (Bash says
# nothing of SIGINT and SIGPIPE: those stay signals.)
if (( status > 128 && status != 128 + 2 && status != 128 + 13 )) && [[ ! -s $notice ]]; then
  emit_error ExitStatus "exit status $status"
  exit 0
fi

# Killed by SIGXCPU: the program reached its CPU-time limit. End without `done`, so that the
# device reports the limit it set (it reads status 128 + 24).
if (( status == 128 + 24 )); then
  exit "$status"
fi

if (( status > 128 )) && signal=$(kill -l "$status" 2>/dev/null); then
  case $signal in
    SEGV) why='Segmentation fault: the program read or wrote memory it does not own, or ran out of stack (a recursion too deep)' ;;
    BUS) why='Bus error: the program accessed memory that does not exist' ;;
    FPE) why='Floating-point exception: an arithmetic error such as an integer division by zero' ;;
    ABRT) why='Aborted: the program called abort(), through a failed assert() or the C library stopping it (a double free, stack smashing: its message on stderr says which)' ;;
    # At -O2 the compiler puts a trap where it sees a sure division by zero or null pointer
    # dereference (-fisolate-erroneous-paths-dereference): `1 / 0` dies so, not with SIGFPE.
    ILL) why='Illegal instruction: the program reached a trap, which the compiler puts where it sees undefined behaviour, such as an integer division by zero or a null pointer dereference' ;;
    XFSZ) why='File too large: the program wrote past the per-file size limit' ;;
    *) why="Killed by SIG$signal" ;;
  esac
  emit_error "SIG$signal" "$why (signal $(( status - 128 )))." 
  exit 0
fi

emit_error ExitStatus "exit status $status"
exit 0
