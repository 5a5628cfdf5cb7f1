'use client';
// The interactive cell of the page at /: the shared cell widget (embed/cell.ts) mounted in React.
import { useEffect, useRef } from 'react';
import { mountCell } from '../embed/cell';

const WELCOME = `# Shift+Enter runs the cell
import math

print("Hello from Cellbox")
[math.factorial(n) for n in range(8)]
`;

export default function CellPage() {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const cell = mountCell(box.current!, { code: WELCOME, language: 'python' });
    return () => cell.destroy();
  }, []);
  return <div ref={box} className="cell-host" />;
}
