// Text cut short for a sentence, a note or a link preview, with "…" where it was cut. Shared
// by the server and the browser (no Node built-ins).

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;

/**
 * `text` as it is when it has at most `max` UTF-16 code units, else its start and "…", `max`
 * units or one fewer: never cut between the two halves of a surrogate pair. Cutting an emoji
 * (or any character past U+FFFF) in two left its first half alone, which a page shows as U+FFFD
 * and JSON as "\ud83d": a permalink's link preview of a line of emoji ended in "�…".
 */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end--;
  return `${text.slice(0, end)}…`;
}

/** A value a message quotes back to its sender: as JSON, at most 32 characters and "…". */
export function quoted(text: string): string {
  return JSON.stringify(shorten(text, 33));
}
