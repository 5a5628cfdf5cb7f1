# Cellbox GAP worker: GAP's pager for a cell, read by kernel.sh at GAP's start.
#
# GAP's help (`?SymmetricGroup`) and Pager() show their text through its built-in pager, which
# waits for a key after each screen, read from GAP's input, which is the cell: the statements
# after the help were taken for keys, unrun, and the cell ended as if well (and each key put the
# terminal in raw mode: "'tcsetattr' could not turn off raw mode!" on stderr). A cell has no one
# at a keyboard, so the text is printed, not paged: Pager()'s whole; the help's entry from its
# first line to the next heading, where the built-in pager showed the rest of the chapter, a
# screen at a time.
MakeReadWriteGlobal("PAGER_BUILTIN");
PAGER_BUILTIN := function(lines)
  local out, start, whole, heading, seen, i;
  out := OutputTextUser();
  start := 1;
  whole := true;
  if IsRecord(lines) then
    if IsBound(lines.start) and IsInt(lines.start) then
      start := lines.start;
    fi;
    # The help viewer sets exitAtEnd to false: its text is the entry's whole chapter.
    if IsBound(lines.exitAtEnd) then
      whole := lines.exitAtEnd;
    fi;
    lines := lines.lines;
  fi;
  if IsString(lines) then
    lines := SplitString(lines, "\n", "");
  fi;
  # A heading of GAPDoc's text, once its colours are taken out: "  50.1-13 MathieuGroup",
  # "  50.7 Irreducible Maximal Finite Integral Matrix Groups".
  heading := function(line)
    local plain, i, j, dots;
    plain := "";
    i := 1;
    while i <= Length(line) do
      if line[i] = '\033' then
        while i <= Length(line) and line[i] <> 'm' do
          i := i + 1;
        od;
      else
        Add(plain, line[i]);
      fi;
      i := i + 1;
    od;
    if Length(plain) < 4 or plain{[1, 2]} <> "  " or not IsDigitChar(plain[3]) then
      return false;
    fi;
    j := 3;
    dots := 0;
    while j <= Length(plain) and (IsDigitChar(plain[j]) or plain[j] in ".-") do
      if plain[j] = '.' then
        dots := dots + 1;
      fi;
      j := j + 1;
    od;
    return dots > 0 and j <= Length(plain) and plain[j] = ' ';
  end;
  # The entry's own heading, at or just after its first line, is shown; the next ends it.
  seen := false;
  for i in [start .. Length(lines)] do
    if not whole and heading(lines[i]) then
      if seen then
        break;
      fi;
      seen := true;
    fi;
    WriteAll(out, Concatenation(lines[i], "\n"));
  od;
end;
MakeReadOnlyGlobal("PAGER_BUILTIN");
