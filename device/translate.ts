// Turns a worker's events and raw output into the cell's Jupyter messages, and counts output
// against the cap: past it the text is cut at the cap and the cell is stopped.
import { createMessage } from '../protocol/create';
import type { ErrorContent, Header, UnsequencedMessage } from '../protocol/messages';
import type { WorkerEvent } from '../workers/protocol';
import { CELL_ERRORS } from '../protocol/errors';
import { checkDisplay, checkError } from './event-shape';

/** What a worker names the SIGINT the device sent (workers/protocol.ts, 5). */
const KEYBOARD_INTERRUPT = 'KeyboardInterrupt';

export class Translator {
  /** The last error the worker reported, for the execute_reply. */
  lastError: ErrorContent | null = null;
  /** Set when the worker said `done`. */
  doneStatus: 'ok' | 'error' | null = null;
  overLimit = false;
  /**
   * The display that passed the cap, when one did: its type (`line` for an event line too long
   * to be read, whose type is not known), MIME types and size as the worker wrote it. A cell
   * whose only big output was a figure or a table was told it "wrote more than 1048576 bytes of
   * output", with nothing of it shown; the error names what was left out.
   */
  overflow: { type: string; mimes: string[]; bytes: number } | null = null;
  /**
   * The worker's own report of the interrupt (interrupting()): its KeyboardInterrupt, named as
   * the stop's error, kept with its traceback. Held back rather than sent, to close the cell
   * after its files as every stop's error does.
   */
  interruption: ErrorContent | null = null;
  private stopError: ErrorContent | null = null;
  private used = 0;
  /** Messages charged so far, whose envelopes are part of `used`. */
  private messages = 0;
  /**
   * What each message costs besides its content: its header, parent header and metadata, as
   * stored and sent (some 500 bytes). Charged so that the cap bounds what a cell stores and
   * sends, not just its text: 65,536 empty `error` events once made 33 MB of messages.
   */
  private readonly envelope: number;
  /**
   * The stream the last message sent was: more text on it joins that message (the writer
   * merges consecutive chunks of a stream) and costs only its bytes.
   */
  private continues: 'stdout' | 'stderr' | null = null;

  /**
   * `memoryError` says, when asked, whether the cell's control group saw the kernel stop one of
   * its processes for memory, as the MemoryError to report instead of what the worker reports
   * (a C program's "SIGKILL", a Bash cell's exit status); null when it did not. `memoryMiB`, the
   * cell's memory limit, names the limit a MemoryError that says nothing met.
   */
  constructor(
    private readonly parent: Header,
    private readonly maxBytes: number,
    private readonly emit: (m: UnsequencedMessage) => void,
    private readonly memoryError: () => ErrorContent | null = () => null,
    private readonly memoryMiB: number | null = null,
  ) {
    this.envelope = Buffer.byteLength(JSON.stringify(createMessage('stream', { name: 'stdout', text: '' }, parent)));
  }

  /**
   * Raw text from fd 1 or 2, or a `stream` event. Raw text still counts after `done`: fd 1 and 2
   * are other pipes than the events', so what the cell wrote just before it said done can be
   * read after it (a JavaScript cell's last 60,000 bytes were dropped). The device reads them
   * until the pipes close, before it closes the cell.
   */
  stream(name: 'stdout' | 'stderr', text: string): void {
    if (this.overLimit || text === '') return;
    const cost = this.continues === name ? 0 : this.envelope;
    const room = this.maxBytes - this.used - cost;
    const bytes = Buffer.byteLength(text);
    if (bytes > room) {
      const cut = cutToBytes(text, room);
      if (cut) this.emit(createMessage('stream', { name, text: cut }, this.parent));
      this.exceed();
      return;
    }
    this.used += cost + bytes;
    if (cost) this.messages++;
    this.continues = name;
    this.emit(createMessage('stream', { name, text }, this.parent));
  }

  /**
   * One event from the worker's pipe, `bytes` its line's UTF-8 length; `null` for a line that
   * was not one (counted, not shown). An event of the wrong shape is dropped with a note on
   * stderr that names what is wrong with it.
   */
  event(e: WorkerEvent | null, bytes: number): void {
    if (this.overLimit || this.doneStatus) return;
    if (e === null || e.type === 'ready') {
      // A line bigger than the whole cap is one output too big to be read at all (worker.ts
      // hands a line past 16 MiB over unparsed: a figure of 3000 by 3000 pixels of noise).
      if (!this.charge(bytes) && e === null && bytes > this.maxBytes) this.overflow = { type: 'line', mimes: [], bytes };
      return;
    }
    const fields = e as unknown as Record<string, unknown>;
    switch (e.type) {
      case 'stream':
        if ((e.name === 'stdout' || e.name === 'stderr') && typeof e.text === 'string') this.stream(e.name, e.text);
        else this.refuse(e.type, 'its name is not stdout or stderr, or its text not a string', bytes);
        return;
      case 'done':
        this.doneStatus = e.status === 'error' ? 'error' : 'ok';
        return;
      case 'clear_output':
        return this.send(createMessage('clear_output', { wait: e.wait === true }, this.parent), bytes);
      case 'error': {
        const checked = checkError(fields);
        if ('problem' in checked) return this.refuse(e.type, checked.problem, bytes);
        if (this.stopError && checked.ok.ename === KEYBOARD_INTERRUPT && !this.interruption) {
          if (this.charge(bytes + this.envelope)) {
            this.messages++;
            this.interruption = { ...this.stopError, traceback: checked.ok.traceback };
          }
          return;
        }
        const error = this.asMemoryError(checked.ok);
        this.lastError = error;
        return this.send(createMessage('error', error, this.parent), bytes);
      }
      case 'display_data':
      case 'execute_result':
      case 'update_display_data': {
        const checked = checkDisplay(fields);
        if ('problem' in checked) return this.refuse(e.type, checked.problem, bytes);
        const { data, metadata, displayId } = checked.ok;
        // An empty bundle shows nothing; an update names the display it updates.
        if (Object.keys(data).length === 0 || (e.type === 'update_display_data' && !displayId)) {
          this.charge(bytes);
          return;
        }
        const transient = displayId ? { display_id: displayId } : undefined;
        const display = { type: e.type, mimes: Object.keys(data), bytes };
        if (e.type === 'execute_result') {
          return this.send(createMessage('execute_result', { data, metadata, execution_count: 1 }, this.parent), bytes, display);
        }
        return this.send(createMessage(e.type, { data, metadata, ...(transient ? { transient } : {}) }, this.parent), bytes, display);
      }
    }
  }

  /**
   * The device has sent the cell SIGINT for `error` (the reader stopped it): the worker's
   * KeyboardInterrupt from now on is that stop, with the traceback of where the cell was.
   */
  interrupting(error: ErrorContent): void {
    this.stopError = error;
  }

  /**
   * The error to report for what the worker reported: a MemoryError once the kernel stopped a
   * process of the cell for memory (the worker only saw it die, or its exit status), with the
   * worker's report kept in the traceback.
   */
  asMemoryError(reported: ErrorContent): ErrorContent {
    if (reported.ename === CELL_ERRORS.memory) {
      // Python's own MemoryError says nothing ("MemoryError: "), a failed allocation under the
      // cell's limit: the limit it met is named.
      if (reported.evalue.trim() || this.memoryMiB === null) return reported;
      return { ...reported, evalue: `The cell ran out of memory: its limit is ${this.memoryMiB} MiB.` };
    }
    const memory = this.memoryError();
    if (!memory) return reported;
    return { ...memory, traceback: [`${reported.ename}: ${reported.evalue}`, ...reported.traceback] };
  }

  /**
   * What the messages' envelopes took of the cap, where they took most of it: a loop that
   * prints and logs (stdout, stderr, stdout …) makes a message of each line, some 500 bytes
   * besides its text, and met the 1 MiB cap with 30 KiB of text, told only that it "wrote more
   * than 1048576 bytes". Null where the content took most.
   */
  envelopes(): { messages: number; each: number; content: number } | null {
    const spent = this.messages * this.envelope;
    if (spent * 2 <= this.used) return null;
    return { messages: this.messages, each: this.envelope, content: this.used - spent };
  }

  /** Drops an event of the wrong shape; the cell's reader sees why on stderr. */
  private refuse(type: string, problem: string, bytes: number): void {
    if (!this.charge(bytes)) return;
    this.stream('stderr', `${/^[aeiou]/.test(type) ? 'An' : 'A'} ${type} event this cell wrote was dropped: ${problem}.\n`);
  }

  private send(m: UnsequencedMessage, bytes: number, display?: Translator['overflow']): void {
    if (!this.charge(bytes + this.envelope)) {
      if (display) this.overflow = display;
      return;
    }
    this.messages++;
    this.continues = null;
    this.emit(m);
  }

  /** Counts bytes against the cap; false (and the cell is over) when they do not fit. */
  private charge(bytes: number): boolean {
    if (this.used + bytes > this.maxBytes) {
      this.exceed();
      return false;
    }
    this.used += bytes;
    return true;
  }

  private exceed(): void {
    this.overLimit = true;
  }
}

/** The longest prefix of `text` that fits in `bytes` UTF-8 bytes, never splitting a character. */
export function cutToBytes(text: string, bytes: number): string {
  if (bytes <= 0) return '';
  const buf = Buffer.from(text);
  if (buf.length <= bytes) return text;
  let end = bytes;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}
