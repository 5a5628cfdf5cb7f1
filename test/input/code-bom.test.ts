// Code that starts with a byte-order mark (U+FEFF: a file saved by Notepad, pasted or posted as
// it is) runs as the same code without it, in every language. Before, Bash, GP, GAP and Maxima
// failed on a first line they could not read, and Singular printed nothing, without an error.
import { runnable as runnableLanguages } from '../helpers/installed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, run, startCellbox, stdout, untilOffered, type Cellbox } from '../helpers/cellbox';

const RUNTIMES: Record<string, string> = { gp: '/usr/bin/gp', singular: '/usr/bin/Singular', gap: '/usr/bin/gap', maxima: '/usr/bin/maxima-sage' };
const languages = ['bash', ...runnableLanguages(RUNTIMES)];

/** A cell whose first statement sets x, printing "ok 1" from x. */
const CELLS: Record<string, string> = {
  bash: 'x=1\necho "ok $x"',
  gp: 'x = 1;\nprint("ok ", x)',
  singular: 'int x = 1;\nprint("ok " + string(x));',
  gap: 'x := 1;;\nPrint("ok ", x, "\\n");',
  maxima: 'x: 1$\nprintf(true, "ok ~a~%", x)$',
};

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_LANGUAGES: languages.join(',') });
  await untilOffered(box, languages);
}, 90_000);

afterAll(async () => {
  await box?.stop();
});

describe('code that starts with a byte-order mark', () => {
  it.each(languages)('%s: runs as without it', async (language) => {
    const ms = await run(box.url, `\ufeff${CELLS[language]}`, language);
    expect(errorOf(ms), language).toBeUndefined();
    expect(stdout(ms).trim(), language).toBe('ok 1');
  });
});
