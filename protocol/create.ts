// The one message factory: every Jupyter message Cellbox sends is made here, so msg_id,
// date and version are filled the same way everywhere.
import {
  PROTOCOL_VERSION,
  type Channel,
  type ContentByType,
  type ErrorContent,
  type FileInfo,
  type Header,
  type MsgType,
  type UnsequencedMessage,
  FILES_MIME,
} from './messages';

const SHELL_TYPES: ReadonlySet<MsgType> = new Set(['execute_reply', 'execute_request']);

function randomId(): string {
  return globalThis.crypto.randomUUID();
}

export function createHeader(msgType: MsgType, session: string, msgId: string = randomId(), date = new Date()): Header {
  return { msg_id: msgId, msg_type: msgType, session, username: 'cellbox', date: date.toISOString(), version: PROTOCOL_VERSION };
}

/** A message answering `parent` (the cell's execute_request header). */
export function createMessage<T extends MsgType>(msgType: T, content: ContentByType[T], parent: Header): UnsequencedMessage<T> {
  const channel: Channel = SHELL_TYPES.has(msgType) ? 'shell' : 'iopub';
  return {
    channel,
    header: createHeader(msgType, parent.session) as Header & { msg_type: T },
    parent_header: parent,
    metadata: {},
    content,
  };
}

/** The execute_request a POST creates; its header is every later message's parent_header. */
export function createExecuteRequest(code: string, session: string = randomId()): UnsequencedMessage<'execute_request'> {
  return {
    channel: 'shell',
    header: createHeader('execute_request', session) as Header & { msg_type: 'execute_request' },
    parent_header: {},
    metadata: {},
    content: { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
  };
}

/** The opening pair of every cell: status busy, then execute_input. */
export function openingMessages(parent: Header, code: string): UnsequencedMessage[] {
  return [
    createMessage('status', { execution_state: 'busy' }, parent),
    createMessage('execute_input', { code, execution_count: 1 }, parent),
  ];
}

/**
 * The closing of every cell: an `error` (unless the worker already sent it), execute_reply,
 * then status idle. `error` null means the cell succeeded.
 */
export function closingMessages(parent: Header, error: ErrorContent | null, errorAlreadySent = false): UnsequencedMessage[] {
  const out: UnsequencedMessage[] = [];
  if (error && !errorAlreadySent) out.push(createMessage('error', error, parent));
  const reply = error
    ? { status: 'error' as const, execution_count: 1, ename: error.ename, evalue: error.evalue, traceback: error.traceback, user_expressions: {}, payload: [] }
    : { status: 'ok' as const, execution_count: 1, user_expressions: {}, payload: [] };
  out.push(createMessage('execute_reply', reply, parent));
  out.push(createMessage('status', { execution_state: 'idle' }, parent));
  return out;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A size in bytes as people read it: `4.9 MiB`. */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The display_data that lists a cell's files, readable by any Jupyter client. */
export function filesMessage(parent: Header, files: FileInfo[]): UnsequencedMessage<'display_data'> {
  const plain = files.map((f) => `${f.name} (${formatSize(f.size)}): ${f.url}`).join('\n');
  const html =
    '<ul class="cellbox-files">' +
    files.map((f) => `<li><a href="${escapeHtml(f.url)}" target="_blank" rel="noopener">${escapeHtml(f.name)}</a> (${formatSize(f.size)})</li>`).join('') +
    '</ul>';
  return createMessage('display_data', { data: { 'text/plain': plain, 'text/html': html, [FILES_MIME]: { files } }, metadata: {} }, parent);
}
