// The linter (eslint.config.mjs) finds nothing: no error and no warning, so none piles up.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

it('eslint finds no problem in any source file', async () => {
  const eslint = new ESLint({ cwd: root });
  const results = await eslint.lintFiles(['.']);
  const found = results.filter((r) => r.messages.length > 0);
  const report = found.length ? await (await eslint.loadFormatter('stylish')).format(found) : '';
  expect(report).toBe('');
  expect(results.length).toBeGreaterThan(100); // it read the project, not an empty selection
}, 120_000);
