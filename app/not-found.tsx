// The 404 page: an unknown snippet (/s/<id>) or any other path that is not a page.
import type { Metadata } from 'next';
import Link from 'next/link';

export const metadata: Metadata = { title: 'Not found · Cellbox' };

export default function NotFound() {
  return (
    <main>
      <header className="site">
        <h1>Nothing here</h1>
        <p>This snippet or page does not exist. A snippet link may have been cut short or mistyped.</p>
      </header>
      <p>
        <Link href="/">Go to Cellbox</Link> and run some code there.
      </p>
    </main>
  );
}
