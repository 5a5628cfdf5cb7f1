// pandas in Python cells through the real server and device, as a person who teaches data with
// Jupyter expects it: a DataFrame as Jupyter's HTML table with its text beside it, Jupyter's
// display options rather than a terminal's, and df.plot() drawn inline as matplotlib's figures.
import { installed as isInstalled } from '../helpers/installed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../protocol/messages';
import { errorOf, run, startCellbox, stderr, type Cellbox } from '../helpers/cellbox';

const installed = isInstalled('/usr/lib/python3/dist-packages/pandas');
let box: Cellbox;

beforeAll(async () => {
  if (installed) box = await startCellbox();
}, 60_000);

afterAll(async () => {
  await box?.stop();
});

function shown(ms: Message[], type: 'execute_result' | 'display_data') {
  return ms.filter((m) => m.header.msg_type === type).map((m) => (m.content as { data: Record<string, string> }).data);
}

/** The header row's cells of the first table in some HTML: pandas' column names. */
function headerCells(html: string): string[] {
  const head = /<thead>[^]*?<tr[^>]*>([^]*?)<\/tr>/.exec(html)![1];
  return [...head.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
}

describe.skipIf(!installed)('pandas in Python cells (needs python3-pandas, which scripts/setup.mjs installs)', () => {
  it("shows a DataFrame as its last expression as Jupyter does: pandas' HTML table, and its text beside it", async () => {
    const ms = await run(box.url, 'import pandas as pd\npd.DataFrame({"name": ["ada", "bob"], "score": [91.5, 78.25]})');
    expect(errorOf(ms)).toBeUndefined();
    const [data] = shown(ms, 'execute_result');
    expect(data['text/html']).toMatch(/^<div>\s*<style scoped>[^]*<table border="1" class="dataframe">/);
    expect(headerCells(data['text/html'])).toEqual(['', 'name', 'score']);
    expect(data['text/html']).toContain('<td>ada</td>');
    expect(data['text/plain']).toBe('  name  score\n0  ada  91.50\n1  bob  78.25');
  });

  it('shows a DataFrame and a Series through display() in the order they come', async () => {
    const ms = await run(box.url, 'import pandas as pd\ndf = pd.DataFrame({"x": [1, 2]})\ndisplay(df)\nprint("between")\ndisplay(df["x"])');
    const outputs = ms.filter((m) => ['display_data', 'stream'].includes(m.header.msg_type)).map((m) => m.header.msg_type);
    expect(outputs).toEqual(['display_data', 'stream', 'display_data']);
    const [frame, series] = shown(ms, 'display_data');
    expect(frame['text/html']).toContain('class="dataframe"');
    // A Series has no HTML of its own in pandas (nor in Jupyter): its text.
    expect(series).toEqual({ 'text/plain': '0    1\n1    2\nName: x, dtype: int64' });
  });

  it("takes pandas' display options for Jupyter, not a terminal's: 20 columns of a wide frame, 10 rows of a long one", async () => {
    // pandas finds no IPython kernel in a cell and took a terminal's max_columns, 0: every
    // column in HTML (a frame of 500 columns was a table of 500).
    const code = [
      'import pandas as pd',
      'print(pd.get_option("display.max_columns"), pd.get_option("display.max_rows"))',
      'pd.DataFrame([[r * 100 + c for c in range(30)] for r in range(200)])',
    ].join('\n');
    const ms = await run(box.url, code);
    expect(errorOf(ms)).toBeUndefined();
    expect(ms.filter((m) => m.header.msg_type === 'stream').map((m) => (m.content as { text: string }).text).join('')).toBe('20 60\n');
    const [data] = shown(ms, 'execute_result');
    const columns = headerCells(data['text/html']);
    expect(columns).toEqual(['', ...Array.from({ length: 10 }, (_, i) => String(i)), '...', ...Array.from({ length: 10 }, (_, i) => String(20 + i))]);
    // min_rows: the first and last five, and the frame's size under it.
    expect(data['text/html'].match(/<tr>/g)).toHaveLength(11);
    expect(data['text/html']).toContain('<p>200 rows × 30 columns</p>');
    expect(data['text/plain']).toContain('[200 rows x 30 columns]');
  });

  it("draws df.plot() and a Series' plot as PNG figures, as plt's", async () => {
    const ms = await run(box.url, 'import pandas as pd\ndf = pd.DataFrame({"y": [1, 4, 2, 5]})\ndf.plot(title="frame")\nimport matplotlib.pyplot as plt\nplt.figure()\ndf["y"].plot(kind="bar");');
    expect(errorOf(ms)).toBeUndefined();
    expect(stderr(ms)).toBe('');
    const figures = shown(ms, 'display_data').filter((d) => 'image/png' in d);
    expect(figures).toHaveLength(2);
    for (const figure of figures) expect(Buffer.from(figure['image/png'], 'base64').subarray(1, 4).toString()).toBe('PNG');
  });
});
