// Jupyter messaging protocol 5.3 shapes as Cellbox sends them: each message also carries
// `seq` (increasing within a cell) and `channel`. Pure types and guards, no I/O.

export const PROTOCOL_VERSION = '5.3';

export interface Header {
  msg_id: string;
  msg_type: MsgType;
  session: string;
  username: string;
  date: string;
  version: string;
}

export type Channel = 'iopub' | 'shell';

/** A MIME bundle: MIME type → data (string, or JSON for +json types). */
export type MimeBundle = Record<string, unknown>;

export interface StatusContent { execution_state: 'busy' | 'idle' | 'starting' }
export interface ExecuteInputContent { code: string; execution_count: number }
export interface StreamContent { name: 'stdout' | 'stderr'; text: string }
export interface DisplayDataContent {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}
export interface ExecuteResultContent extends DisplayDataContent { execution_count: number }
export interface ClearOutputContent { wait: boolean }
export interface ErrorContent { ename: string; evalue: string; traceback: string[] }
export interface ExecuteReplyContent {
  status: 'ok' | 'error';
  execution_count: number;
  ename?: string;
  evalue?: string;
  traceback?: string[];
  user_expressions?: Record<string, unknown>;
  payload?: unknown[];
}
export interface ExecuteRequestContent {
  code: string;
  silent: boolean;
  store_history: boolean;
  user_expressions: Record<string, unknown>;
  allow_stdin: boolean;
  stop_on_error: boolean;
}

export interface ContentByType {
  status: StatusContent;
  execute_input: ExecuteInputContent;
  stream: StreamContent;
  display_data: DisplayDataContent;
  update_display_data: DisplayDataContent;
  execute_result: ExecuteResultContent;
  clear_output: ClearOutputContent;
  error: ErrorContent;
  execute_reply: ExecuteReplyContent;
  execute_request: ExecuteRequestContent;
}

export type MsgType = keyof ContentByType;

/** A message before the store gives it its `seq`. */
export interface UnsequencedMessage<T extends MsgType = MsgType> {
  channel: Channel;
  header: Header & { msg_type: T };
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: ContentByType[T];
}

export type Message<T extends MsgType = MsgType> = UnsequencedMessage<T> & { seq: number };

/** The output message types a worker may produce, in the order they arrive. */
export const OUTPUT_TYPES = ['stream', 'display_data', 'update_display_data', 'execute_result', 'clear_output', 'error'] as const;
export type OutputType = (typeof OUTPUT_TYPES)[number];

export function isType<T extends MsgType>(m: { header: Header }, t: T): m is Message<T> {
  return m.header.msg_type === t;
}

/** True for the message that ends a cell: the final `status: idle`. */
export function isFinal(m: { header: Header; content: unknown }): boolean {
  return m.header.msg_type === 'status' && (m.content as StatusContent).execution_state === 'idle';
}

/** The MIME type Cellbox uses to list the files a cell created. */
export const FILES_MIME = 'application/vnd.cellbox.files+json';

export interface FileInfo { name: string; size: number; content_type: string; url: string }
