// Python's scientific stack in the worker (Debian's python3-matplotlib, -sympy, -numpy): figures
// inline without savefig, sympy as LaTeX. These packages are installed by the set-up script.
import { installed } from '../helpers/installed';
import { describe, expect, it } from 'vitest';
import { eventsOf, lastEvent, runWorker, streamText } from './run-worker';

const run = (code: string) => runWorker('python', code, { timeoutMs: 30_000 });

interface Shown { data: Record<string, unknown>; metadata?: Record<string, unknown> }

function figures(events: Shown[]) {
  return events.filter((e) => 'image/png' in e.data).map((e) => {
    const png = Buffer.from(e.data['image/png'] as string, 'base64');
    return { png, width: png.readUInt32BE(16), height: png.readUInt32BE(20), text: e.data['text/plain'], metadata: e.metadata };
  });
}

describe('matplotlib in the python worker', () => {
  it('shows a figure left open at the end of the cell as PNG, with its size and text', async () => {
    const r = await run('import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nprint("drawn")');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    const shown = figures(eventsOf(r, 'display_data'));
    expect(shown).toHaveLength(1);
    expect(shown[0].png.subarray(1, 4).toString()).toBe('PNG');
    expect(shown[0].width).toBeGreaterThan(300);
    expect(shown[0].height).toBeGreaterThan(200);
    expect(shown[0].metadata).toEqual({ 'image/png': { width: shown[0].width, height: shown[0].height } });
    expect(shown[0].text).toMatch(/^<Figure size \d+x\d+ with 1 Axes>$/);
    // After the printed text: figures come at the end, as in Jupyter.
    expect(r.events.findIndex((e) => e.type === 'stream')).toBeLessThan(r.events.findIndex((e) => e.type === 'display_data'));
    expect(r.files).toEqual([]);
  });

  it("gives a figure's titles and axis labels as its picture's alt text, beside Jupyter's text", async () => {
    const r = await run([
      'import matplotlib.pyplot as plt',
      'fig, (a, b) = plt.subplots(1, 2)',
      'fig.suptitle("Growth")',
      'a.plot([1, 2]); a.set_title("linear"); a.set_xlabel("n"); a.set_ylabel("steps")',
      'b.plot([1, 4]); b.set_title("quadratic", loc="left")',
    ].join('\n'));
    const [shown] = figures(eventsOf(r, 'display_data'));
    expect(shown!.text).toBe('<Figure size 640x480 with 2 Axes>');
    expect(shown!.metadata).toEqual({ 'image/png': { width: shown!.width, height: shown!.height, alt: 'Figure size 640x480 with 2 Axes; titled "Growth"; title "linear", x axis "n", y axis "steps"; title "quadratic"' } });
  });

  it('shows each of several figures once, and plt.show() shows at once and starts afresh', async () => {
    const r = await run([
      'import matplotlib.pyplot as plt',
      'plt.figure(); plt.plot([1, 2])',
      'plt.show()',
      'print("between")',
      'plt.figure(); plt.bar([1, 2], [3, 4])',
      'plt.figure(); plt.scatter([1], [1])',
    ].join('\n'));
    const kinds = r.events.filter((e) => e.type === 'stream' || e.type === 'display_data').map((e) => e.type);
    expect(kinds).toEqual(['display_data', 'stream', 'display_data', 'display_data']);
    expect(figures(eventsOf(r, 'display_data'))).toHaveLength(3);
  });

  it('draws a figure in one pass, the picture savefig(bbox_inches="tight") makes', async () => {
    // The kernel crops one Agg draw to the tight box instead of savefig's two passes. Each
    // figure here is drawn both ways and compared: the same size, and the same pixels at the
    // best alignment within one (savefig's canvas starts a fraction of a pixel elsewhere,
    // which antialiasing shows).
    const r = await run(`
import io, json, sys
import numpy as np
import matplotlib.pyplot as plt
from PIL import Image
kernel = sys.modules['cellbox_kernel']
def compare(fig):
    fast = kernel._tight_png_in_one_draw(fig)
    ref = io.BytesIO(); fig.savefig(ref, format='png', bbox_inches='tight')
    a = np.asarray(Image.open(io.BytesIO(fast)).convert('RGBA'), dtype=float)
    b = np.asarray(Image.open(io.BytesIO(ref.getvalue())).convert('RGBA'), dtype=float)
    h, w = min(a.shape[0], b.shape[0]) - 2, min(a.shape[1], b.shape[1]) - 2
    diff = min(np.abs(a[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] - b[1:1 + h, 1:1 + w]).mean() for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    return {'fast': list(a.shape[:2]), 'savefig': list(b.shape[:2]), 'diff': diff}
out = []
fig, ax = plt.subplots(); ax.plot([1, 3, 2, 4], label='line'); ax.set_title('A title'); ax.set_xlabel('x'); ax.legend()
out.append(compare(fig))
fig, axes = plt.subplots(1, 2, figsize=(8, 3)); axes[0].bar([1, 2], [3, 4]); axes[1].imshow(np.arange(16).reshape(4, 4)); fig.suptitle('Two')
out.append(compare(fig))
print(json.dumps(out))
plt.close('all')
`);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    for (const c of JSON.parse(streamText(r, 'stdout'))) {
      expect(c.fast).toEqual(c.savefig);
      expect(c.diff).toBeLessThan(3); // of 255, per channel, on average
    }
  });

  it('leaves a figure to savefig where one draw would differ: an artist outside it, savefig settings changed', async () => {
    const r = await run(`
import json, sys
import matplotlib.pyplot as plt
kernel = sys.modules['cellbox_kernel']
fig, ax = plt.subplots(); ax.plot([1, 2], label='outside'); ax.legend(bbox_to_anchor=(1.5, 0.5))
outside = kernel._tight_png_in_one_draw(fig)
fig2, ax2 = plt.subplots(); ax2.plot([1, 2])
plain = kernel._tight_png_in_one_draw(fig2) is not None
plt.rcParams['savefig.transparent'] = True
transparent = kernel._tight_png_in_one_draw(fig2)
plt.rcParams['savefig.transparent'] = False
plt.rcParams['savefig.dpi'] = 50
small = kernel._tight_png_in_one_draw(fig2)
print(json.dumps([outside is None, plain, transparent is None, small is None]))
`);
    expect(JSON.parse(streamText(r, 'stdout'))).toEqual([true, true, true, true]);
    // The figures left open are still shown, through savefig (dpi 50: a smaller picture).
    const shown = figures(eventsOf(r, 'display_data'));
    expect(shown).toHaveLength(2);
    expect(shown[1].width).toBeLessThan(300);
  });

  it('shows a Figure as the last expression once, as the result', async () => {
    const r = await run('import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1])\nfig');
    expect(figures(eventsOf(r, 'execute_result'))).toHaveLength(1);
    expect(eventsOf(r, 'display_data')).toEqual([]);
  });

  it('shows a displayed figure again only if it changed since', async () => {
    const r = await run([
      'import matplotlib.pyplot as plt',
      'a = plt.figure(); plt.plot([1, 2]); display(a)',
      'b = plt.figure(); plt.plot([2, 1]); display(b)',
      'b.axes[0].set_title("changed")',
    ].join('\n'));
    expect(figures(eventsOf(r, 'display_data'))).toHaveLength(3);
  });

  it('still shows the figure when the cell fails after drawing it', async () => {
    const r = await run('import matplotlib.pyplot as plt\nplt.plot([1, 2])\n1/0');
    expect(eventsOf(r, 'error')[0]).toMatchObject({ ename: 'ZeroDivisionError' });
    expect(figures(eventsOf(r, 'display_data'))).toHaveLength(1);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('reports a figure that cannot be drawn on stderr and shows its text, as IPython does', async () => {
    const r = await run('import matplotlib.pyplot as plt\nplt.title("$\\\\frac{1}{$")\nprint("went on")');
    expect(streamText(r, 'stderr')).toMatch(/^display: formatter for Figure failed: ValueError: [^]*Expected \\frac\{num\}\{den\}/);
    expect(eventsOf(r, 'display_data').map((e) => e.data)).toEqual([{ 'text/plain': '<Figure size 640x480 with 1 Axes>' }]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('shows nothing inline when the cell picks another backend, and saves files as asked', async () => {
    const r = await run('import matplotlib\nmatplotlib.use("Agg")\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.savefig("plot.png")');
    expect(eventsOf(r, 'display_data')).toEqual([]);
    expect(r.files).toEqual(['plot.png']);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('lets a Python the cell starts use pyplot, drawing without showing', async () => {
    const code = 'import matplotlib.pyplot as plt; plt.plot([1]); plt.show(); plt.savefig("sub.png"); print(plt.get_backend())';
    const r = await run(`import subprocess\nsubprocess.run(["/usr/bin/python3", "-c", ${JSON.stringify(code)}], check=True)`);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.stdout).toBe('module://cellbox_inline\n');
    expect(r.files).toEqual(['sub.png']);
  });

  it('imports nothing of matplotlib unless the cell does', async () => {
    const r = await run('import sys\nprint(sorted(m for m in sys.modules if m.startswith(("matplotlib", "numpy", "cellbox_inline"))))');
    expect(streamText(r, 'stdout')).toBe('[]\n');
  });
});

describe('sympy in the python worker', () => {
  it('shows a last-expression sympy value as LaTeX math with a text form', async () => {
    const r = await run('from sympy import symbols, integrate, sin\nx = symbols("x")\nintegrate(x**2 * sin(x), x)');
    const [result] = eventsOf(r, 'execute_result');
    expect(result.data['text/latex']).toMatch(/^\$\\displaystyle .*\\sin\{\\left\(x \\right\)\}.*\$$/);
    expect(result.data['text/plain']).toBe('-x**2*cos(x) + 2*x*sin(x) + 2*cos(x)');
  });

  it('displays sympy matrices and equations as LaTeX', async () => {
    const r = await run('from sympy import Matrix, Eq, symbols\nx = symbols("x")\ndisplay(Matrix([[1, x], [x, 1]]))\ndisplay(Eq(x**2, 4))');
    const shown = eventsOf(r, 'display_data').map((e) => e.data['text/latex']);
    expect(shown[0]).toContain('\\left[\\begin{matrix}');
    expect(shown[1]).toBe('$\\displaystyle x^{2} = 4$');
  });

  it('shows numpy arrays as text', async () => {
    const r = await run('import numpy as np\nnp.arange(6).reshape(2, 3)');
    expect(eventsOf(r, 'execute_result')[0].data['text/plain']).toBe('array([[0, 1, 2],\n       [3, 4, 5]])');
  });
});

const pandasInstalled = installed('/usr/lib/python3/dist-packages/pandas');

describe.skipIf(!pandasInstalled)('pandas in the python worker (needs python3-pandas)', () => {
  it("takes pandas' display defaults for Jupyter where the cell imports it, and leaves no trace of how", async () => {
    // The worker outside a fork server: pandas imported by the cell itself, not preloaded.
    const r = await run([
      'import pandas as pd, pandas.core.config_init as options',
      'print(pd.get_option("display.max_columns"), hasattr(options, "get_ipython"))',
      'pd.reset_option("display.max_columns")',
      'print(pd.get_option("display.max_columns"))',
    ].join('\n'));
    expect(streamText(r, 'stderr')).toBe('');
    expect(streamText(r, 'stdout')).toBe('20 False\n20\n');
  });
});

describe.skipIf(!installed('/usr/lib/python3/dist-packages/tqdm'))('tqdm in the python worker (needs python3-tqdm)', () => {
  it('draws its progress bar on stderr, each state after a carriage return, the last one whole', async () => {
    const r = await run('from tqdm import tqdm\nfor i in tqdm(range(3)):\n    pass');
    const bar = streamText(r, 'stderr');
    expect(bar).toMatch(/^\r {2}0%\|\s+\| 0\/3 /);
    expect(bar).toMatch(/\r100%\|█{10}\| 3\/3 \[[^\]]*\]\n$/);
  });

  it("draws tqdm.notebook's bar as text too: the page has no widgets to show it with", async () => {
    // A cell copied from a notebook. Debian's ipywidgets 6 made it an AttributeError
    // ('FloatProgress' object has no attribute 'style') after "Widget Javascript not detected".
    const r = await run([
      'from tqdm.notebook import tqdm, trange',
      'for i in tqdm(range(3)):',
      '    pass',
      'for i in trange(2, desc="again"):',
      '    pass',
      'import sys',
      'print("ipywidgets" in sys.modules)',
    ].join('\n'));
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(eventsOf(r, 'display_data')).toEqual([]);
    const bar = streamText(r, 'stderr');
    expect(bar).toMatch(/\r100%\|█{10}\| 3\/3 \[[^\]]*\]\n/);
    expect(bar).toMatch(/\ragain: 100%\|█{10}\| 2\/2 \[[^\]]*\]\n$/);
    expect(streamText(r, 'stdout')).toBe('False\n');
  });
});
