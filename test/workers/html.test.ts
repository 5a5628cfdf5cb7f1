// Tests of the HTML language worker (workers/html/kernel.py), run outside the sandbox: the cell
// as one HTML display, its math marked as SageMathCell's html mode marks it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runWorker, streamText } from './run-worker';

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

  it('says on stderr what of the HTML the page leaves out: scripts, event handlers, forms, frames', async () => {
    // The page's sanitiser drops them (embed/render.ts): a <button onclick> showed as a dead
    // button, a <form> as its labels without their inputs, a <script> as nothing, without a word.
    const code = [
      '<h1 class="onload=x" data-onclick="1">Sign up</h1>',
      '<!-- <iframe> in a comment is nothing -->',
      '<form action="/go"><label>Name <input name="n"></label>',
      '<button type="button" onClick="greet()">Hi</button></form>',
      '<a href=" JavaScript:void(0)">x</a> a < b',
      '<script>document.title = "x"</script>',
    ].join('\n');
    const r = await runWorker('html', code);
    expect(r.events.map((e) => e.type)).toEqual(['ready', 'display_data', 'stream', 'done']);
    expect(streamText(r, 'stderr')).toBe(
      "Note: a cell's HTML is shown without scripts, event handlers, forms and their controls, frames, embedded objects or linked stylesheets; " +
        'left out here: <form>, <input>, <button>, onclick, javascript: links, <script>\n',
    );
    // Plain HTML, styles included, has no note.
    const plain = await runWorker('html', '<style>p { color: red }</style><p title="a > b">1 < 2 and <em>on</em>=</p>');
    expect(plain.events.map((e) => e.type)).toEqual(['ready', 'display_data', 'done']);
  });

  it("names every tag the page's sanitiser forbids that would show something", async () => {
    const render = readFileSync(new URL('../../embed/render.ts', import.meta.url), 'utf8');
    const forbidden = JSON.parse(/FORBID_TAGS: (\[[^\]]*\])/.exec(render)![1].replace(/'/g, '"')) as string[];
    const shown = forbidden.filter((tag) => tag !== 'base' && tag !== 'meta');
    const r = await runWorker('html', shown.map((tag) => `<${tag}>`).join(''));
    expect(streamText(r, 'stderr')).toContain(`left out here: ${shown.map((tag) => `<${tag}>`).join(', ')}\n`);
  });
});
