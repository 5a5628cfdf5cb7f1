// Tests of the HTML language worker (workers/html/kernel.py), run outside the sandbox: the cell
// as one HTML display, its math marked as SageMathCell's html mode marks it.
import { describe, expect, it } from 'vitest';
import { runWorker } from './run-worker';

describe('html worker', () => {
  it('shows the code as one text/html display, $…$ and $$…$$ as math the page typesets', async () => {
    const code = '<p>Price: \\$5, <b>and</b> $x^2$ inline,</p>\n$$\\int_0^1 f$$ shown, a $ left open';
    const r = await runWorker('html', code);
    expect(r.events).toEqual([
      { type: 'ready', language: 'html', version: '5' },
      {
        type: 'display_data',
        data: { 'text/html': '<p>Price: $5, <b>and</b> \\(x^2\\) inline,</p>\n\\[\\int_0^1 f\\] shown, a $ left open', 'text/plain': code },
        metadata: {},
      },
      { type: 'done', status: 'ok' },
    ]);
    expect(r.stdout + r.stderr).toBe('');
  });

  it('shows nothing for a cell of white space', async () => {
    const r = await runWorker('html', '  \n');
    expect(r.events.map((e) => e.type)).toEqual(['ready', 'done']);
  });
});
