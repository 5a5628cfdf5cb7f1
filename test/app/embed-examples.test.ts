// The live examples at /embed and docs/embedding.md show the same markup.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_EXAMPLE, EXAMPLES, PAGE_CONFIG } from '../../app/embed/examples';

const doc = fs.readFileSync(new URL('../../docs/embedding.md', import.meta.url), 'utf8');

describe('docs/embedding.md', () => {
  it.each(EXAMPLES.map((e) => [e.id, e.markup]))('shows the %s example as /embed runs it', (_, markup) => {
    expect(doc).toContain('```html\n' + markup + '\n```');
  });

  it('shows the page-wide block and the script example', () => {
    expect(doc).toContain(PAGE_CONFIG);
    expect(doc).toContain(API_EXAMPLE);
  });
});
