// The parts a cell leaves out (embed/hidden-parts.ts): what the page named, and Copy with a
// hidden editor, whose code the reader cannot see.
import { describe, expect, it } from 'vitest';
import { hiddenParts } from '../../embed/hidden-parts';
import { TEMPLATES, sagecellSettings } from '../../embed/sagecell-options';

describe('hiddenParts', () => {
  it('leaves out what the page named, and nothing more', () => {
    expect([...hiddenParts()]).toEqual([]);
    expect([...hiddenParts(['share', 'status'])].sort()).toEqual(['share', 'status']);
  });

  it('leaves out Copy with the editor, and keeps Share, whose link shows the code', () => {
    expect([...hiddenParts(['editor'])].sort()).toEqual(['copy', 'editor']);
  });

  it("gives SageMathCell's minimal template a button and the output", () => {
    const hidden = hiddenParts(sagecellSettings({ template: TEMPLATES.minimal, languages: ['python'] }, 1).hide);
    expect(['editor', 'copy', 'share', 'language'].every((p) => hidden.has(p as never))).toBe(true);
    expect(hidden.has('run') || hidden.has('output')).toBe(false);
  });
});
