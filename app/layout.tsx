// The document shell of every Cellbox page.
import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: 'Cellbox',
  // Which languages run depends on what the machine has installed (GET /api/v1/languages), so
  // the description names none.
  description: 'Run a code cell in your browser, each in a private sandbox, and share it by a link.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
