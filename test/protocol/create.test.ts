// The message factory: shapes, channels, parent headers, and the opening and closing sequences.
import { describe, expect, it } from 'vitest';
import { closingMessages, createExecuteRequest, createMessage, filesMessage, openingMessages } from '../../protocol/create';
import { FILES_MIME, isFinal } from '../../protocol/messages';

const request = createExecuteRequest('print(1)', 'session-1');
const parent = request.header;

describe('createMessage', () => {
  it('fills msg_id, date, version, session and the parent', () => {
    const m = createMessage('stream', { name: 'stdout', text: 'hi' }, parent);
    expect(m.header).toMatchObject({ msg_type: 'stream', session: 'session-1', username: 'cellbox', version: '5.3' });
    expect(m.header.msg_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(m.header.date).toISOString()).toBe(m.header.date);
    expect(m.parent_header).toBe(parent);
    expect(m.channel).toBe('iopub');
  });

  it('puts execute_reply on the shell channel', () => {
    expect(createMessage('execute_reply', { status: 'ok', execution_count: 1 }, parent).channel).toBe('shell');
  });

  it('gives every message its own id', () => {
    const ids = new Set(Array.from({ length: 100 }, () => createMessage('status', { execution_state: 'busy' }, parent).header.msg_id));
    expect(ids.size).toBe(100);
  });
});

describe('sequences', () => {
  it('opening: busy then execute_input with the code', () => {
    const ms = openingMessages(parent, 'print(1)');
    expect(ms.map((m) => m.header.msg_type)).toEqual(['status', 'execute_input']);
    expect(ms[1].content).toEqual({ code: 'print(1)', execution_count: 1 });
  });

  const cases = [
    { name: 'success', error: null, sent: false, types: ['execute_reply', 'status'], status: 'ok' },
    { name: 'failure', error: { ename: 'E', evalue: 'v', traceback: ['t'] }, sent: false, types: ['error', 'execute_reply', 'status'], status: 'error' },
    { name: 'failure already shown', error: { ename: 'E', evalue: 'v', traceback: [] }, sent: true, types: ['execute_reply', 'status'], status: 'error' },
  ];
  for (const c of cases) {
    it(`closing on ${c.name}`, () => {
      const ms = closingMessages(parent, c.error, c.sent);
      expect(ms.map((m) => m.header.msg_type)).toEqual(c.types);
      const reply = ms.find((m) => m.header.msg_type === 'execute_reply')!;
      expect(reply.content).toMatchObject({ status: c.status, execution_count: 1 });
      if (c.error) expect(reply.content).toMatchObject({ ename: 'E', evalue: 'v' });
      expect(isFinal(ms[ms.length - 1])).toBe(true);
    });
  }
});

describe('filesMessage', () => {
  it('lists files as text, escaped HTML links and the Cellbox MIME type', () => {
    const files = [{ name: 'a<b>.txt', size: 2048, content_type: 'text/plain', url: '/files/x/a%3Cb%3E.txt' }];
    const m = filesMessage(parent, files);
    expect(m.content.data['text/plain']).toBe('a<b>.txt (2.0 KiB): /files/x/a%3Cb%3E.txt');
    expect(m.content.data['text/html']).toContain('a&#60;b&#62;.txt');
    expect(m.content.data['text/html']).not.toContain('<b>');
    expect(m.content.data[FILES_MIME]).toEqual({ files });
  });
});
