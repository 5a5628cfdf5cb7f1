// SageMathCell's makeSagecell() options read as Cellbox's (embed/sagecell-options.ts): its
// defaults, its templates, its names for the parts `hide` takes, and its rules for languages,
// linked cells and autoeval.
import { describe, expect, it } from 'vitest';
import { ALL_LANGUAGES, TEMPLATES, sagecellSettings } from '../../embed/sagecell-options';

describe('sagecellSettings', () => {
  it("has SageMathCell's defaults: a Sage cell, Evaluate, editable, the selector hidden", () => {
    expect(sagecellSettings({ inputLocation: 'div.compute' }, 1)).toEqual({
      languages: ['sage'],
      defaultLanguage: 'sage',
      hide: ['language'],
      readonly: false,
      runLabel: 'Evaluate',
      autorun: false,
      linked: false,
    });
  });

  it('labels the Run button with evalButtonText', () => {
    expect(sagecellSettings({ evalButtonText: 'Activate' }, 1).runLabel).toBe('Activate');
    expect(sagecellSettings({ evalButtonText: '  ' }, 1).runLabel).toBe('Evaluate');
  });

  it("maps SageMathCell's part names onto Cellbox's and ignores those without one", () => {
    const s = sagecellSettings({ hide: ['editor', 'evalButton', 'permalink', 'done', 'sessionFiles', 'output', 'editorToggle', 'messages', 'sessionTitle', 'fullScreen', 'sageMode', 'files', 'computationID', 'nonsense'], languages: ['sage', 'python'] }, 1);
    expect(s.hide.sort()).toEqual(['editor', 'files', 'output', 'run', 'share', 'status']);
  });

  it('offers the languages given, the first the default unless defaultLanguage is one of them', () => {
    expect(sagecellSettings({ languages: ['python', 'sage'] }, 1)).toMatchObject({ languages: ['python', 'sage'], defaultLanguage: 'python', hide: [] });
    expect(sagecellSettings({ languages: ['sage', 'python'], defaultLanguage: 'python' }, 1).defaultLanguage).toBe('python');
    expect(sagecellSettings({ languages: ['sage'], defaultLanguage: 'r' }, 1).defaultLanguage).toBe('sage');
    expect(sagecellSettings({ languages: ALL_LANGUAGES }, 1).languages).toEqual(ALL_LANGUAGES);
    // One language: the selector is hidden, as SageMathCell hides it.
    expect(sagecellSettings({ languages: ['python'] }, 1).hide).toEqual(['language']);
    // Not a list: SageMathCell's default.
    expect(sagecellSettings({ languages: 'python' }, 1).languages).toEqual(['sage']);
  });

  it('reads the editor types as editable or read-only', () => {
    expect(sagecellSettings({ editor: 'codemirror' }, 1).readonly).toBe(false);
    expect(sagecellSettings({ editor: 'textarea' }, 1).readonly).toBe(false);
    expect(sagecellSettings({ editor: 'codemirror-readonly' }, 1).readonly).toBe(true);
    expect(sagecellSettings({ editor: 'textarea-readonly' }, 1).readonly).toBe(true);
  });

  it('applies the templates, the call overriding them but hide joining theirs', () => {
    expect(sagecellSettings({ template: TEMPLATES.minimal }, 1)).toMatchObject({ readonly: true, hide: ['editor', 'share', 'language'] });
    expect(sagecellSettings({ template: TEMPLATES.restricted }, 1)).toMatchObject({ readonly: true, hide: ['share', 'language'] });
    const s = sagecellSettings({ template: TEMPLATES.restricted, editor: 'codemirror', hide: ['evalButton'], evalButtonText: 'Go' }, 1);
    expect(s).toMatchObject({ readonly: false, runLabel: 'Go' });
    expect(s.hide.sort()).toEqual(['language', 'run', 'share']);
    expect(sagecellSettings({ template: { evalButtonText: 'Show', autoeval: true } }, 1)).toMatchObject({ runLabel: 'Show', autorun: true });
  });

  it('hides the permalink of linked cells, and linked cells of several matches wait for a click', () => {
    expect(sagecellSettings({ linked: true, languages: ['python'] }, 2)).toMatchObject({ linked: true, autorun: false, hide: ['language', 'share'] });
    expect(sagecellSettings({ linked: true, autoeval: true }, 2).autorun).toBe(false);
    expect(sagecellSettings({ linked: true, autoeval: true }, 1).autorun).toBe(true);
    expect(sagecellSettings({ autoeval: true }, 3).autorun).toBe(true);
  });

  it('shows every part in debug mode', () => {
    expect(sagecellSettings({ mode: 'debug', hide: ['editor', 'permalink'], linked: true }, 1).hide).toEqual([]);
  });
});
