# Sourced by workers/gp/kernel.sh: the filter gp's stderr goes through, on its own so that its
# tests can feed it lines as they come, cut as a race cuts them. Reads $held, the file an
# error's lines are kept in.

# gp's stderr, line by line: through at once, but an error's lines into $held.
#
# ploth() and the other high-resolution plots draw in an X window, from a child process gp
# forks: with no display that child says "X fatal error: cannot open Display" and gp goes on.
# The line looked like an error's, so everything after it on stderr was held back to the end; and
# it told a student nothing. It is said as what it means, with the way that works in a cell.
X_NO_DISPLAY='  *** X fatal error: cannot open Display'
X_NO_DISPLAY_NOTE='  ***   plot: a cell has no screen to draw on (X fatal error: cannot open Display); write("plot.svg", plothexport("svg", x = a, b, f(x))) saves the plot as a file instead'
# GP writes the "  *** " of a message apart from its words, and the drawing child's line, which
# starts on a line of its own, could come between the two: "  *** " alone on a line (held back
# as an error's, and all after it), then the X line, then "  user warning: after" without its
# stars. Such a lone start is kept and put back before the words that follow the X line.
filter_errors() {
  local line holding= cut=
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == '  *** ' && -z $cut ]]; then
      cut=$line
      continue
    fi
    if [[ -z $holding && $line == "$X_NO_DISPLAY" ]]; then
      printf '%s\n' "$X_NO_DISPLAY_NOTE" >&2
      continue
    fi
    if [[ -n $cut ]]; then
      line=$cut$line
      cut=
    fi
    if [[ -z $holding && ( $line != '  ***'* || $line =~ ^\ \ \*\*\*\ +(user\ )?[Ww]arning ) ]]; then
      printf '%s\n' "$line" >&2
    else
      holding=1
      printf '%s\n' "$line" >>"$held"
    fi
  done
  # A start whose words never came: as it was.
  [[ -z $cut ]] || printf '%s\n' "$cut" >>"$held"
}
