// The cell page at /: one cell, ready to run.
import CellPage from './cell-page';

export default function Page() {
  return (
    <main>
      <header className="site">
        <h1>Cellbox</h1>
        <p>Run Python, JavaScript or Bash in a private sandbox. Press Shift+Enter or Run.</p>
      </header>
      <CellPage />
      <noscript>
        <p className="noscript">
          The cell needs JavaScript. Without it, run code over HTTP:{' '}
          <code>curl --data-urlencode code=&apos;print(1+1)&apos; HOST/api/v1/execute</code>
        </p>
      </noscript>
    </main>
  );
}
