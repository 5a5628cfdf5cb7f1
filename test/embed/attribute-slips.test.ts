// Near misses of a cell's data-* attributes (embed/attribute-slips.ts), checked against the
// attributes embed/options.ts reads: a slip of one is named with the one it likely meant; the
// page's own attributes, and those Cellbox reads, are not.
import { describe, expect, it } from 'vitest';
import { likelyMeant, slipWarning } from '../../embed/attribute-slips';
import { OPTION_ATTRIBUTES } from '../../embed/options';

const meant = (name: string) => likelyMeant(name, OPTION_ATTRIBUTES);

describe('likelyMeant', () => {
  it('names the attribute a slip stands for', () => {
    expect({
      'data-lang': meant('data-lang'),
      'data-langs': meant('data-langs'),
      'data-langauge': meant('data-langauge'),
      'data-languge': meant('data-languge'),
      'data-langauges': meant('data-langauges'),
      'data-them': meant('data-them'),
      'data-themes': meant('data-themes'),
      'data-hidden': meant('data-hidden'),
      'data-hid': meant('data-hid'),
      'data-read-only': meant('data-read-only'),
      'data-auto-run': meant('data-auto-run'),
      'data-auto': meant('data-auto'),
      'data-autoeval': meant('data-autoeval'),
      'data-run_label': meant('data-run_label'),
      'data-runlabel': meant('data-runlabel'),
      'data-eval-button-text': meant('data-eval-button-text'),
      'data-preview': meant('data-preview'),
      'data-output-previw': meant('data-output-previw'),
      'data-outputs': meant('data-outputs'),
      'data-link': meant('data-link'),
      'data-linked-to': meant('data-linked-to'),
      'data-server-url': meant('data-server-url'),
      'data-draft': meant('data-draft'),
      'data-cellbox-language': meant('data-cellbox-language'),
      'DATA-LANG': meant('DATA-LANG'),
    }).toEqual({
      'data-lang': 'data-language',
      'data-langs': 'data-languages',
      'data-langauge': 'data-language',
      'data-languge': 'data-language',
      'data-langauges': 'data-languages',
      'data-them': 'data-theme',
      'data-themes': 'data-theme',
      'data-hidden': 'data-hide',
      'data-hid': 'data-hide',
      'data-read-only': 'data-readonly',
      'data-auto-run': 'data-autorun',
      'data-auto': 'data-autorun',
      'data-autoeval': 'data-autorun',
      'data-run_label': 'data-run-label',
      'data-runlabel': 'data-run-label',
      'data-eval-button-text': 'data-run-label',
      'data-preview': 'data-output-preview',
      'data-output-previw': 'data-output-preview',
      'data-outputs': 'data-output',
      'data-link': 'data-linked',
      'data-linked-to': 'data-linked',
      'data-server-url': 'data-server',
      'data-draft': 'data-drafts',
      'data-cellbox-language': 'data-language',
      'DATA-LANG': 'data-language',
    });
  });

  it('says nothing of the attributes Cellbox reads, nor of a page\'s own', () => {
    for (const name of [...OPTION_ATTRIBUTES, 'id', 'class', 'lang', 'data-line', 'data-lines', 'data-label', 'data-start', 'data-src',
      'data-prompt', 'data-user', 'data-host', 'data-id', 'data-mode', 'data-title', 'data-toc-skip', 'data-copy', 'data-run', 'data-index', 'data-testid']) {
      expect(meant(name), name).toBe(null);
    }
  });
});

describe('slipWarning', () => {
  it('is one sentence for all the slips of a cell, with their values', () => {
    const attrs = [{ name: 'data-cellbox', value: '' }, { name: 'data-langauge', value: 'r' }, { name: 'data-line', value: '2' }, { name: 'data-them', value: 'dark' }];
    expect(slipWarning(attrs, OPTION_ATTRIBUTES, ['data-cellbox'])).toBe(
      'Cellbox: this cell\'s data-langauge="r" (did you mean data-language?) and data-them="dark" (did you mean data-theme?) are not attributes Cellbox reads, and do nothing.');
    expect(slipWarning([{ name: 'data-lang', value: 'r' }], OPTION_ATTRIBUTES)).toBe(
      'Cellbox: this cell\'s data-lang="r" (did you mean data-language?) is not an attribute Cellbox reads, and does nothing.');
  });

  it('is null with no slip, or where the caller reads the attribute itself', () => {
    expect(slipWarning([{ name: 'data-line', value: '2' }, { name: 'data-language', value: 'r' }], OPTION_ATTRIBUTES)).toBe(null);
    expect(slipWarning([{ name: 'data-lang', value: 'r' }], OPTION_ATTRIBUTES, ['data-lang'])).toBe(null);
  });
});
