// What the code of a cell or a snippet may hold to be run as it was sent: text every worker
// reads to its end. Checked in the browser and on the server alike (a 400 naming the field).

/**
 * A half of a UTF-16 surrogate pair on its own (`"\ud800"` is valid JSON): no UTF-8 text holds
 * one, so it cannot be stored or run as it was sent. SQLite kept it as three bytes that read
 * back as three U+FFFD, and a snippet's id, hashed from the code, then named other code.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What is wrong with `code` as the program text of the field `field` (`code`, `linked[1]`), as
 * a phrase naming the field, or null. A NUL (U+0000, `"\u0000"` in JSON) is valid JSON and
 * UTF-8 but no program text: R, Octave, GP and Singular stopped reading the cell there and ran
 * what came before it as if it were all, without an error; Bash dropped it; Python, GCC and
 * GAP failed on it, each in its own words.
 */
export function codeTextProblem(field: string, code: string): string | null {
  if (LONE_SURROGATE.test(code)) return `${field} holds half of a UTF-16 surrogate pair without the other (a lone "\\ud800"–"\\udfff"), which is not text`;
  const nul = code.indexOf('\u0000');
  if (nul >= 0) {
    const line = code.slice(0, nul).split('\n').length;
    return `${field} holds a NUL character (U+0000) on line ${line}, which is not program text: remove it`;
  }
  return null;
}
