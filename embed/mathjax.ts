// Typesets math with MathJax 4 served by Cellbox itself (no CDN, fonts included), loaded once
// per document on first use; a page that already has MathJax keeps its own.
interface MathJaxLike {
  typesetPromise?: (els: HTMLElement[]) => Promise<void>;
  startup?: { promise?: Promise<void> };
}

type WithMathJax = Window & { MathJax?: MathJaxLike | Record<string, unknown> };

export function mathjaxTypesetter(doc: Document, base: string): (el: HTMLElement) => Promise<void> {
  const win = doc.defaultView as WithMathJax;
  let ready: Promise<MathJaxLike> | null = null;
  let chain: Promise<void> = Promise.resolve();

  function load(): Promise<MathJaxLike> {
    const existing = win.MathJax as MathJaxLike | undefined;
    if (existing?.typesetPromise) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      win.MathJax = {
        loader: { paths: { mathjax: `${base}/mathjax`, fonts: `${base}/mathjax/fonts` } },
        tex: { inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']] },
        startup: { typeset: false },
        options: { enableMenu: false },
        output: { font: 'mathjax-newcm' },
      };
      const script = doc.createElement('script');
      script.src = `${base}/mathjax/tex-chtml.js`;
      script.async = true;
      script.onerror = () => reject(new Error('MathJax could not be loaded'));
      script.onload = () => {
        const mj = win.MathJax as MathJaxLike;
        (mj.startup?.promise ?? Promise.resolve()).then(() => resolve(mj), reject);
      };
      doc.head.append(script);
    });
  }

  return (el) => {
    ready ??= load();
    // MathJax must not typeset two things at once: one chain for the whole page.
    chain = chain.then(() => ready!).then((mj) => mj.typesetPromise?.([el])).catch(() => {
      el.classList.add('cb-math-failed');
    });
    return chain;
  };
}
