# Cellbox GAP worker: the user's input for a cell, read by kernel.sh at GAP's start.
#
# GAP reads the cell from its standard input, and so did InputTextUser(): ReadLine(
# InputTextUser()) returned the cell's next line, which then never ran, and Exec() gave the
# command the same input (Exec("cat") ate the rest of the cell). A cell has no one to type, so
# the user's input is empty, as a script's run with < /dev/null: ReadLine gives fail, a command
# meets the end of its input.
MakeReadWriteGlobal("InputTextUser");
InputTextUser := function()
  return InputTextNone();
end;
MakeReadOnlyGlobal("InputTextUser");
