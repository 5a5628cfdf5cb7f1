// GET /embed: every embed option with a copy-ready example, each running live below its code.
// Plain HTML rather than a React page: the embed script rewrites the markup it finds, which
// React's hydration would fight over.
import { API_EXAMPLE, EXAMPLES, PAGE_CONFIG } from './examples';

export const dynamic = 'force-dynamic';

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const STYLE = `
  :root { color-scheme: light dark; --bg: #f6f6f4; --fg: #1d1d1f; --muted: #6b6b70; --line: #d9d9de; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
  @media (prefers-color-scheme: dark) { :root { --bg: #141518; --fg: #ececef; --muted: #9a9aa2; --line: #3a3b40; } }
  body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.5; }
  main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 4rem; overflow-wrap: break-word; }
  h1 { font-size: 1.5rem; margin: 0 0 0.25rem; } h2 { font-size: 1.1rem; margin: 2.5rem 0 0.25rem; }
  p { margin: 0 0 0.75rem; } a { color: inherit; }
  pre.code { margin: 0 0 0.5rem; padding: 0.6rem 0.8rem; border: 1px solid var(--line); border-radius: 8px; overflow-x: auto;
    font: 13px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: color-mix(in srgb, var(--fg) 4%, transparent); }
  .live { border-left: 3px solid var(--line); padding-left: 0.75rem; }
  code { font: 0.92em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }`;

function page(origin: string): string {
  const sections = EXAMPLES.map((e) => `
<section id="${e.id}">
  <h2>${e.title}</h2>
  <p>${e.about}</p>
  <pre class="code">${escapeHtml(e.markup)}</pre>
  <div class="live">${e.markup}</div>
</section>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Embedding Cellbox</title><link rel="icon" href="/icon.svg" type="image/svg+xml"><style>${STYLE}</style>
<script src="/embed.js" defer></script></head>
<body><main>
<h1>Embed Cellbox cells in any page</h1>
<p>Add one script tag, then mark up code. Every cell below is live. <a href="/">Back to Cellbox</a></p>
<pre class="code">${escapeHtml(`<script src="${origin}/embed.js" defer></script>`)}</pre>
<p><code>/embed.js</code> follows the newest version; <code>/embed/v1.js</code> keeps version 1's behaviour for pages that need it never to change.</p>
<h2>Page-wide defaults</h2>
<p>One JSON block sets defaults for every cell of the page. The order, weakest first: built-in defaults, this block, the cell's <code>data-*</code> attributes, options passed to <code>Cellbox.mount()</code>. <code>"autoMount": false</code> here (or <code>data-auto-mount="false"</code> on the script tag) leaves mounting to your script.</p>
<pre class="code">${escapeHtml(PAGE_CONFIG)}</pre>
${sections}
<section id="api">
  <h2>From a script</h2>
  <p><code>Cellbox.mount(element, options)</code> returns a handle with <code>run()</code>, <code>stop()</code>, <code>code</code>, <code>reset()</code> and <code>element</code>. Cells fire bubbling events: <code>cellbox:ready</code>, <code>cellbox:run</code>, <code>cellbox:output</code>, <code>cellbox:done</code>, <code>cellbox:error</code>. <code>Cellbox.scan()</code> mounts cells added to the page later.</p>
  <pre class="code">${escapeHtml(API_EXAMPLE)}</pre>
  <div class="live">${API_EXAMPLE}</div>
</section>
</main></body></html>`;
}

export function GET(req: Request): Response {
  return new Response(page(new URL(req.url).origin), {
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' },
  });
}
