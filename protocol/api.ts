// Request and response bodies of HTTP API v1, shared by the server and the browser client.
import { z } from 'zod';
import { codeTextProblem } from './code-text';
import { interactProblem, type InteractValues } from './interact';
import { linkedProblem } from './linked';
import { quoted } from './shorten';
import { MAX_SNIPPET_TITLE_CHARS } from './limits';
import type { FileInfo, Message } from './messages';

/** A language as requests name it; whether the server offers it is checked later. */
const LANGUAGE_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** A title with half of a UTF-16 surrogate pair on its own: not text, as code is not (protocol/code-text.ts says why). */
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (field: string) =>
  [(s: string) => !LONE_SURROGATE.test(s), `${field} holds half of a UTF-16 surrogate pair without the other (a lone "\\ud800"–"\\udfff"), which is not text`] as const;

/** Code as program text that runs as it was sent (protocol/code-text.ts), for zod's superRefine. */
const programText = (field: string) => (code: string, ctx: z.RefinementCtx) => {
  const problem = codeTextProblem(field, code);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

/** What a one-line title may not hold: C0 and C1 controls, DEL, and Unicode's line and paragraph separators. */
const NOT_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Body of POST /api/v1/cells and POST /api/v1/execute. `timeout` is checked against the server's limit later. */
/**
 * An optional field whose value a plain function checks (protocol/interact.ts, linked.ts: shapes
 * a schema would say less clearly), null or absent passing as not given; `problem` gives the
 * sentence naming what is wrong, or null.
 */
function checkedBy(problem: (value: unknown) => string | null) {
  return z
    .unknown()
    .superRefine((v, ctx) => {
      const found = v == null ? null : problem(v);
      if (found) ctx.addIssue({ code: 'custom', message: found });
    })
    .optional();
}

export const CellRequest = z.strictObject({
  // "code must be a string" for a body without one sent its writer looking at a value it never gave.
  code: z.string({ error: (i) => (i.input === undefined ? 'code is required: the source to run, as a string' : 'code must be a string') }).superRefine(programText('code')),
  language: z.string({ error: 'language must be a string' }).regex(LANGUAGE_NAME, 'language must be a short lowercase name such as "python"').default('python'),
  timeout: z.number({ error: 'timeout must be a number of seconds' }).positive('timeout must be more than 0 seconds').finite().optional(),
  // The values of the cell's interacts, when a page runs it again as its controls move
  // (protocol/interact.ts); null is as if not given, as GET /cells/:id shows a cell without.
  interact: checkedBy(interactProblem).transform((v) => (v ?? null) as InteractValues | null),
  // The code of the linked cells before this one on its page, in page order (protocol/linked.ts),
  // run first with their output hidden; null or [] is as if not given, a cell that runs alone.
  linked: checkedBy(linkedProblem).transform((v) => (Array.isArray(v) && v.length ? (v as string[]) : null)),
});
export type CellRequest = z.infer<typeof CellRequest>;

/**
 * Body of POST /service, SageMathCell's simple service: the code, and the language, Sage unless
 * named (a field of Cellbox's). `accepted_tos`, which SageMathCell's public server asks its
 * clients to send (its terms of service), is taken and has no effect here.
 */
export const ServiceRequest = z.strictObject({
  code: z.string({ error: (i) => (i.input === undefined ? 'code is required: the source to run, as a string' : 'code must be a string') }).superRefine(programText('code')),
  language: z.string({ error: 'language must be a string' }).regex(LANGUAGE_NAME, 'language must be a short lowercase name such as "sage"').default('sage'),
  // A form sends it as text ("true"); a script porting that form to JSON writes `true`, which was
  // refused (400), though the field changes nothing either way.
  accepted_tos: z.union([z.string(), z.boolean()], { error: 'accepted_tos must be true or false, or a string such as "true"' }).optional(),
});
export type ServiceRequest = z.infer<typeof ServiceRequest>;

/** Answer of POST /service, as SageMathCell's: whether the cell ended without an error, and its streams' text (stderr only when there was some). */
export interface ServiceAnswer { success: boolean; stdout: string; stderr?: string }

/** Body of POST /api/v1/snippets. The code's size is checked after parsing (413, not 400). */
export const SnippetRequest = z.strictObject({
  code: z.string({ error: (i) => (i.input === undefined ? 'code is required' : 'code must be a string') }).superRefine(programText('code')),
  language: z
    .string({ error: (i) => (i.input === undefined ? 'language is required, for example "python"' : 'language must be a string') })
    .regex(LANGUAGE_NAME, 'language must be a short lowercase name such as "python"'),
  title: z
    .string({ error: 'title must be a string' })
    .refine(...wellFormed('title'))
    .nullish()
    .transform((t) => (t == null || t.trim() === '' ? null : t.trim()))
    .refine((t) => t === null || [...t].length <= MAX_SNIPPET_TITLE_CHARS, `title must be at most ${MAX_SNIPPET_TITLE_CHARS} characters`)
    .refine((t) => t === null || !NOT_ONE_LINE.test(t), 'title must be one line of text, without control characters'),
});
export type SnippetRequest = z.infer<typeof SnippetRequest>;

/** Answer of POST /api/v1/snippets (201 when stored now, 200 when the same snippet was stored before). */
export interface SnippetCreated { id: string; url: string; raw: string; language: string; created: string }

/** Answer of GET /api/v1/snippets/:id. */
export interface SnippetInfo { id: string; code: string; language: string; title: string | null; created: string }

/**
 * `status` is the cell's at its creation. `answer` comes when the POST asked to `wait`: the
 * cell's first messages, as `GET messages?after=0&wait=…` would have answered.
 */
export interface CellCreated { id: string; msg_id: string; status: 'queued'; messages: string; answer?: MessagesAnswer }

export type CellStatus = 'queued' | 'running' | 'done';

export interface CellInfo {
  id: string;
  language: string;
  /** The row's: `running` from the device's claim of the cell, before its worker is there. */
  status: CellStatus;
  /** Where the cell is, as the long-polls' answers say it (CellState): `starting` until its first message. */
  state: CellState;
  created: string;
  started: string | null;
  finished: string | null;
  files: FileInfo[];
  /** The values of its interacts it was posted with (protocol/interact.ts), or null. */
  interact: InteractValues | null;
  /** The code of the linked cells it ran first (protocol/linked.ts), or null for a cell that ran alone. */
  linked: string[] | null;
}

/**
 * Where a cell is, as a long-poll answer tells it: `queued` (waiting for a place among the cells
 * the device runs at once), `starting` (the device has it and waits for its worker to be made:
 * no message yet), `running` (its messages have begun), `done`. A reader shows the first two,
 * which can last seconds, instead of a cell that seems dead.
 */
export type CellState = 'queued' | 'starting' | 'running' | 'done';

export interface MessagesAnswer { messages: Message[]; next: number; done: boolean; state: CellState }
export interface PollAnswer { cells: Record<string, MessagesAnswer> }

export interface ExecuteAnswer {
  id: string;
  status: 'ok' | 'error' | 'queued' | 'running';
  stdout: string;
  stderr: string;
  messages: Message[];
  files: FileInfo[];
}

export interface LanguageInfo {
  name: string;
  display_name: string;
  version: string;
  file_extension: string;
  codemirror_mode: string;
}

/** The most unknown fields an error names; the rest are counted. */
const MAX_NAMED_FIELDS = 5;

/** Turns zod's issues into one sentence naming each bad field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') {
        // A few, each cut short: the sentence named every one in full, so 40,000 made-up fields
        // (or one 500 KB name) came back as a 500 KB error message.
        const named = i.keys.slice(0, MAX_NAMED_FIELDS).map(quoted);
        const more = i.keys.length > MAX_NAMED_FIELDS ? ` and ${i.keys.length - MAX_NAMED_FIELDS} more` : '';
        return `unknown field${i.keys.length > 1 ? 's' : ''} ${named.join(', ')}${more}`;
      }
      if (i.code === 'invalid_type' && i.path.length === 0) return 'the body must be a JSON object';
      return i.message;
    })
    .join('; ');
}
