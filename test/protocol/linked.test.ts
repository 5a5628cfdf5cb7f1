// A linked cell's code as one program (Share's links): the linked cells' code above it, then its
// own, each under a comment that names it.
import { describe, expect, it } from 'vitest';
import { linkedProgram } from '../../protocol/linked';

describe('linkedProgram', () => {
  it('is the code itself for a cell with no linked cell above it', () => {
    expect(linkedProgram([], 'print(1)')).toBe('print(1)');
  });

  it('puts the code above first, in page order, each part named as errors name it', () => {
    expect(linkedProgram(['def f(n):\n    return n + 1\n\n', 'base = 10'], 'print(f(base))')).toBe(
      '# Linked cell 1 of 2 above this one\ndef f(n):\n    return n + 1\n\n'
      + '# Linked cell 2 of 2 above this one\nbase = 10\n\n'
      + '# This cell\nprint(f(base))\n',
    );
  });

  it('keeps a cell whose code is empty, so that the count matches the page', () => {
    expect(linkedProgram([''], 'x')).toBe('# Linked cell 1 of 1 above this one\n\n\n# This cell\nx\n');
  });
});
