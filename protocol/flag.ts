// The words an on/off option may be written as, wherever a person writes one: an embed's
// data-autorun="yes", the permalink's ?autorun=true. One list, so that a word one of them
// takes the other does not ignore (the permalink ran only for ?autorun=1).

/** Words for true, lowercased; '' is the attribute or parameter given without a value. */
export const TRUE_WORDS: readonly string[] = ['', 'true', '1', 'yes', 'on'];
export const FALSE_WORDS: readonly string[] = ['false', '0', 'no', 'off'];

/** What a person wrote for an on/off option, read as on or off; null when it is neither. */
export function readFlag(word: string): boolean | null {
  const w = word.trim().toLowerCase();
  if (TRUE_WORDS.includes(w)) return true;
  if (FALSE_WORDS.includes(w)) return false;
  return null;
}
