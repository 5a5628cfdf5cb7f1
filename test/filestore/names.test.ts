// Tests the file name rule and the file URL, as a table of named cases.

import { describe, expect, it } from 'vitest';
import { baseName, checkName, checkPath, encodeFileUrl, MAX_FOLDERS } from '../../filestore/names';

const accepted: [string, string | Buffer, string][] = [
  ['plain ASCII', 'plot.png', 'plot.png'],
  ['spaces and punctuation', 'my data (v2), final!.csv', 'my data (v2), final!.csv'],
  ['leading two dots', '..foo', '..foo'],
  ['three dots', '...', '...'],
  ['hidden file', '.bashrc', '.bashrc'],
  ['non-ASCII', 'café-数据-🙂.txt', 'café-数据-🙂.txt'],
  ['valid UTF-8 Buffer', Buffer.from('résumé.md'), 'résumé.md'],
  ['leading BOM kept in a Buffer', Buffer.from([0xef, 0xbb, 0xbf, 0x61]), '\ufeffa'],
  ['exactly 255 bytes', 'a'.repeat(255), 'a'.repeat(255)],
  ['255 bytes of 3-byte characters', '数'.repeat(85), '数'.repeat(85)],
];

const rejected: [string, string | Buffer, string][] = [
  ['empty string', '', 'empty name'],
  ['empty Buffer', Buffer.alloc(0), 'empty name'],
  ['dot', '.', '"." is not a file name'],
  ['dot dot', '..', '".." is not a file name'],
  ['dot dot as a Buffer', Buffer.from('..'), '".." is not a file name'],
  ['slash', 'a/b', 'name contains "/"'],
  ['leading slash', '/etc', 'name contains "/"'],
  ['traversal', '../x', 'name contains "/"'],
  ['backslash', 'a\\b', 'name contains "\\"'],
  ['NUL', 'a\u0000b', 'control character in name'],
  ['newline', 'a\nb', 'control character in name'],
  ['tab', 'a\tb', 'control character in name'],
  ['escape', '\u001b[31mred', 'control character in name'],
  ['DEL', 'a\u007f', 'control character in name'],
  ['C1 control', 'a\u0085b', 'control character in name'],
  ['C1 control as a Buffer', Buffer.from([0x61, 0xc2, 0x9b]), 'control character in name'],
  ['invalid UTF-8 byte', Buffer.from([0x61, 0xff, 0x62]), 'not valid UTF-8'],
  ['truncated sequence', Buffer.from([0x61, 0xe6, 0x95]), 'not valid UTF-8'],
  ['overlong encoding of "/"', Buffer.from([0xc0, 0xaf]), 'not valid UTF-8'],
  ['encoded surrogate', Buffer.from([0xed, 0xa0, 0x80]), 'not valid UTF-8'],
  ['lone surrogate in a string', 'a\ud800b', 'not valid Unicode'],
  ['256 bytes', 'a'.repeat(256), 'name longer than 255 bytes'],
  ['256 bytes of 2-byte characters', 'é'.repeat(128), 'name longer than 255 bytes'],
  ['10,000 characters', 'x'.repeat(10_000), 'name longer than 255 bytes'],
];

describe('checkName', () => {
  it.each(accepted)('accepts %s', (_label, input, name) => {
    expect(checkName(input)).toEqual({ ok: true, name });
  });

  it.each(rejected)('rejects %s', (_label, input, reason) => {
    expect(checkName(input)).toEqual({ ok: false, reason });
  });

  it('takes the byte limit as a parameter', () => {
    expect(checkName('a'.repeat(300), 300)).toEqual({ ok: true, name: 'a'.repeat(300) });
    expect(checkName('a'.repeat(301), 300)).toEqual({ ok: false, reason: 'name longer than 300 bytes' });
  });
});

describe('encodeFileUrl', () => {
  it.each([
    ['plot.png', '/files/c1/plot.png'],
    ['my file.txt', '/files/c1/my%20file.txt'],
    ['a#b?c%d&e', '/files/c1/a%23b%3Fc%25d%26e'],
    ['café.csv', '/files/c1/caf%C3%A9.csv'],
    ['..foo', '/files/c1/..foo'],
    ['plots/fig 1.png', '/files/c1/plots/fig%201.png'],
    ['a b/c#d/e.txt', '/files/c1/a%20b/c%23d/e.txt'],
  ])('encodes %j', (name, url) => {
    expect(encodeFileUrl('c1', name)).toBe(url);
  });
});

describe('checkPath', () => {
  it('accepts a name, or folders and a name, each part a good name', () => {
    expect(checkPath('fig.png')).toEqual({ ok: true, name: 'fig.png' });
    expect(checkPath('plots/png/fig.png')).toEqual({ ok: true, name: 'plots/png/fig.png' });
    const deepest = `${'d/'.repeat(MAX_FOLDERS)}f`;
    expect(checkPath(deepest)).toEqual({ ok: true, name: deepest });
  });

  it.each([
    ['a part that leads out', '../x'],
    ['a part that stays', 'a/./x'],
    ['an empty part', 'a//x'],
    ['a leading slash', '/etc/passwd'],
    ['a trailing slash', 'a/'],
    ['a control character in a folder', 'a\nb/x'],
    ['a backslash', 'a\\b/x'],
  ])('refuses %s', (_label, path) => {
    const check = checkPath(path);
    expect(check.ok).toBe(false);
  });

  it('names the part that is wrong, and a path too deep', () => {
    expect(checkPath('ok/../x')).toEqual({ ok: false, reason: '".." is not a file name in ".."' });
    expect(checkPath(`${'d/'.repeat(MAX_FOLDERS + 1)}f`)).toEqual({ ok: false, reason: `more than ${MAX_FOLDERS} folders deep` });
    // A single name keeps checkName's own words.
    expect(checkPath('..')).toEqual(checkName('..'));
  });
});

describe('baseName', () => {
  it('is the last part of a name', () => {
    expect(baseName('fig.png')).toBe('fig.png');
    expect(baseName('plots/png/fig.png')).toBe('fig.png');
  });
});
