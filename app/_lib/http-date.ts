// Reading an HTTP-date (RFC 9110 §5.6.7), as `If-Modified-Since` carries one: the time it
// names, or null for text that is not one, which the header's reader then ignores.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d\\d):(\\d\\d):(\\d\\d)';
/** `Sun, 06 Nov 1994 08:49:37 GMT`: what senders send (and Last-Modified is). */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d\\d) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** `Sunday, 06-Nov-94 08:49:37 GMT`: obsolete, but a recipient must read it. */
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d\\d)-${MONTH}-(\\d\\d) ${TIME} GMT$`);
/** `Sun Nov  6 08:49:37 1994`: C's asctime(), obsolete too. */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * The time `text` names in milliseconds, or null when it is no HTTP-date. Held to the three
 * forms: Date.parse takes nearly anything (`"3000"` is the year 3000, which would make every
 * file look unchanged), and reads asctime's form in the server's time zone.
 */
export function parseHttpDate(text: string, now = Date.now()): number | null {
  const t = text.trim();
  /** Day of the month, month's name, year, hours, minutes, seconds. */
  let parts: [string, string, number, string, string, string];
  let found: RegExpExecArray | null;
  if ((found = IMF_FIXDATE.exec(t))) {
    parts = [found[1], found[2], Number(found[3]), found[4], found[5], found[6]];
  } else if ((found = RFC850.exec(t))) {
    // Two digits: the latest such year no more than 50 years ahead (RFC 9110).
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(found[3]);
    if (year > thisYear + 50) year -= 100;
    parts = [found[1], found[2], year, found[4], found[5], found[6]];
  } else if ((found = ASCTIME.exec(t))) {
    parts = [found[2], found[1], Number(found[6]), found[3], found[4], found[5]];
  } else return null;
  const [day, month, year, h, m, s] = parts;
  if (Number(h) > 23 || Number(m) > 59 || Number(s) > 60) return null;
  const ms = Date.UTC(year, MONTHS.indexOf(month), Number(day), Number(h), Number(m), Number(s));
  // Date.UTC rolls 31 Feb into March: a day the month does not have is no date.
  return new Date(ms).getUTCDate() === Number(day) ? ms : null;
}
