// The embed options, each with a copy-ready example: shown live at /embed and written out in
// docs/embedding.md (a test keeps the two the same).
export interface Example {
  id: string;
  title: string;
  /** One or two sentences; may hold <code>. */
  about: string;
  /** The markup a page author copies, exactly as it runs on the demo page. */
  markup: string;
}

export const EXAMPLES: Example[] = [
  {
    id: 'basic',
    title: 'A cell',
    about: 'Code in a <code>&lt;pre data-cellbox&gt;</code>. Without JavaScript it stays readable code; common indentation is trimmed.',
    markup: `<pre data-cellbox>
  import math
  print(math.pi)
</pre>`,
  },
  {
    id: 'language',
    title: 'Another language',
    about: '<code>data-language</code> is any name from <code>GET /api/v1/languages</code>; the default is <code>python</code>.',
    markup: `<pre data-cellbox data-language="javascript">console.log([1, 2, 3].map((n) => n * n))</pre>`,
  },
  {
    id: 'autorun',
    title: 'Run on load',
    about: '<code>data-autorun</code> runs the cell as soon as the page has loaded (off by default).',
    markup: `<pre data-cellbox data-autorun>print("Ran as the page loaded")</pre>`,
  },
  {
    id: 'readonly',
    title: 'Read-only',
    about: '<code>data-readonly</code>: the code can be run and copied, not changed.',
    markup: `<pre data-cellbox data-readonly>print(sum(range(101)))</pre>`,
  },
  {
    id: 'hide',
    title: 'Hide parts',
    about: '<code>data-hide</code> takes a list of <code>editor</code>, <code>language</code>, <code>run</code>, <code>status</code>, <code>share</code>, <code>copy</code>, <code>reset</code>, <code>files</code>, <code>output</code>.',
    markup: `<pre data-cellbox data-hide="editor language share">print("Only the Run button and the output")</pre>`,
  },
  {
    id: 'output',
    title: 'Output elsewhere',
    about: '<code>data-output</code> is a CSS selector for the element the output goes into.',
    markup: `<pre data-cellbox data-output="#plot-here">
import matplotlib.pyplot as plt
plt.plot([1, 4, 2, 5]);
</pre>
<div id="plot-here"></div>`,
  },
  {
    id: 'theme',
    title: 'Theme',
    about: '<code>data-theme</code> is <code>light</code>, <code>dark</code> or <code>auto</code> (the default: matches the page the cell sits on). A fixed theme brings its own background, for the output too.',
    markup: `<pre data-cellbox data-theme="dark">print("Dark, whatever the system says")</pre>`,
  },
  {
    id: 'preview',
    title: 'Output shown before the first run',
    about: 'An <code>&lt;output&gt;</code> right after the code, or <code>data-output-preview="…"</code>, is shown until the reader runs the cell.',
    markup: `<pre data-cellbox>print(2 ** 100)</pre>
<output>1267650600228229401496703205376</output>`,
  },
  {
    id: 'markup',
    title: 'Other markup',
    about: 'A <code>&lt;textarea data-cellbox&gt;</code>, <code>&lt;div data-cellbox&gt;</code> or <code>&lt;script type="text/x-cellbox"&gt;</code> works too: the script form keeps <code>&lt;</code> and <code>&amp;</code> as they are.',
    markup: `<script type="text/x-cellbox" data-language="bash">
for f in a b c; do echo "<$f> & done"; done
</script>`,
  },
  {
    id: 'math',
    title: 'Math',
    about: 'LaTeX output is typeset with MathJax: the page\'s own MathJax 3 or 4 if it has one, Cellbox\'s otherwise.',
    markup: `<pre data-cellbox>
from sympy import symbols, integrate, exp, oo
x = symbols("x")
integrate(exp(-x**2), (x, -oo, oo))
</pre>`,
  },
  {
    id: 'interact',
    title: 'Interacts',
    about: 'A Python or Sage cell with <code>@interact</code> shows controls; moving one runs the cell again with their values.',
    markup: `<pre data-cellbox>
@interact
def stars(n=slider(1, 30, 1, default=5), symbol=['*', '#', 'o'], spaced=False):
    print((' ' if spaced else '').join(symbol * n))
</pre>`,
  },
  {
    id: 'sagecell',
    title: 'Coming from SageMathCell',
    about: 'A page written for SageMathCell keeps its <code>sagecell.makeSagecell()</code> calls: <code>inputLocation</code>, <code>evalButtonText</code>, <code>linked</code>, <code>hide</code>, <code>languages</code>, <code>template</code> and the rest map onto Cellbox\'s options (docs/embedding.md has the table). Loaded without <code>defer</code>, as SageMathCell\'s pages load it, the call may come right after the script tag.',
    markup: `<div class="compute"><script type="text/x-sage">
def square(n):
    return n * n
</script></div>
<div class="compute"><script type="text/x-sage">print(square(12))</script></div>
<script>
  // embed.js is deferred on this page: the call waits for the parsed document.
  document.addEventListener('DOMContentLoaded', () => {
    sagecell.makeSagecell({
      inputLocation: 'div.compute',
      evalButtonText: 'Evaluate',
      linked: true,
      languages: ['python', 'sage'],
    });
  });
</script>`,
  },
];

/** The page-wide defaults block and the script tag, shown as code only. */
export const PAGE_CONFIG = `<script type="application/json" data-cellbox-config>
  { "language": "python", "theme": "auto", "hide": ["share"] }
</script>`;

export const API_EXAMPLE = `<div id="by-script"></div>
<script>
  // After DOMContentLoaded, the deferred embed.js has defined window.Cellbox.
  document.addEventListener('DOMContentLoaded', () => {
    const cell = Cellbox.mount(document.getElementById('by-script'), {
      code: 'print("mounted by a script")',
      language: 'python',
    });
    cell.element.addEventListener('cellbox:done', (e) => {
      document.getElementById('by-script-log').textContent = 'cellbox:done ' + JSON.stringify(e.detail);
    });
    cell.run();
  });
</script>
<p id="by-script-log"></p>`;
