// Which bytes a Range header asks for (RFC 9110 §14.1.2), against a file's size.
import { describe, expect, it } from 'vitest';
import { byteRange } from '../../app/_lib/byte-range';

describe('byteRange', () => {
  const cases: [string | null, number, ReturnType<typeof byteRange>][] = [
    [null, 10, { kind: 'whole' }],
    ['bytes=0-4', 10, { kind: 'part', start: 0, end: 4 }],
    ['bytes=5-', 10, { kind: 'part', start: 5, end: 9 }],
    ['bytes=-3', 10, { kind: 'part', start: 7, end: 9 }],
    ['bytes=-30', 10, { kind: 'part', start: 0, end: 9 }],
    ['bytes=8-100', 10, { kind: 'part', start: 8, end: 9 }],
    ['Bytes = 1-1', 10, { kind: 'part', start: 1, end: 1 }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=4-2', 10, { kind: 'whole' }],
    ['bytes=0-1,3-4', 10, { kind: 'whole' }],
    ['bytes=-', 10, { kind: 'whole' }],
    ['bytes=a-b', 10, { kind: 'whole' }],
    ['items=0-1', 10, { kind: 'whole' }],
    ['bytes', 10, { kind: 'whole' }],
  ];
  for (const [header, size, want] of cases) it(`${header} of ${size} bytes`, () => expect(byteRange(header, size)).toEqual(want));
});
