// The cell page at /: one cell, ready to run.
import CellPage from './cell-page';

export default function Page() {
  return (
    <main>
      <h1>Cellbox</h1>
      <CellPage />
    </main>
  );
}
