// The request schema: which bodies pass, and the sentence each bad one gets.
import { describe, expect, it } from 'vitest';
import { CellRequest, describeIssues, SnippetRequest } from '../../protocol/api';

interface Case { name: string; body: unknown; ok?: unknown; error?: RegExp }

const cases: Case[] = [
  { name: 'code only', body: { code: 'x' }, ok: { code: 'x', language: 'python', interact: null, linked: null } },
  { name: 'all fields', body: { code: 'x', language: 'bash', timeout: 2.5, interact: { 0: { n: 1 } } }, ok: { code: 'x', language: 'bash', timeout: 2.5, interact: { 0: { n: 1 } }, linked: null } },
  { name: 'empty code is allowed', body: { code: '' }, ok: { code: '', language: 'python', interact: null, linked: null } },
  { name: 'not an object', body: 'x', error: /JSON object/ },
  { name: 'null', body: null, error: /JSON object/ },
  { name: 'missing code', body: {}, error: /^code is required: the source to run, as a string$/ },
  { name: 'code a number', body: { code: 1 }, error: /code must be a string/ },
  { name: 'language with capitals', body: { code: 'x', language: 'Python' }, error: /short lowercase name/ },
  { name: 'language too long', body: { code: 'x', language: 'p'.repeat(40) }, error: /short lowercase name/ },
  { name: 'timeout zero', body: { code: 'x', timeout: 0 }, error: /more than 0/ },
  { name: 'timeout infinite', body: { code: 'x', timeout: Infinity }, error: /timeout/ },
  { name: 'timeout a string', body: { code: 'x', timeout: '3' }, error: /timeout must be a number/ },
  { name: 'unknown field', body: { code: 'x', extra: 1 }, error: /unknown field "extra"/ },
  { name: 'code with a lone high surrogate', body: { code: '\ud800' }, error: /code holds half of a UTF-16 surrogate pair/ },
  { name: 'code with a surrogate pair is text', body: { code: 'print("🎲")' }, ok: { code: 'print("🎲")', language: 'python', interact: null, linked: null } },
  // A cell's interact values (protocol/interact.ts): each kind of value, and each bad shape named.
  { name: 'interact of every kind of value', body: { code: 'x', interact: { 0: { n: -2.5, s: '🎲', b: false, r: [0, 1] }, 12: {} } }, ok: { code: 'x', language: 'python', interact: { 0: { n: -2.5, s: '🎲', b: false, r: [0, 1] }, 12: {} }, linked: null } },
  // The code of the linked cells before this one (protocol/linked.ts): a list of strings; [] and null are none.
  { name: 'linked code', body: { code: 'x', linked: ['a = 1', ''] }, ok: { code: 'x', language: 'python', interact: null, linked: ['a = 1', ''] } },
  { name: 'linked empty is none', body: { code: 'x', linked: [] }, ok: { code: 'x', language: 'python', interact: null, linked: null } },
  { name: 'linked null is none', body: { code: 'x', linked: null }, ok: { code: 'x', language: 'python', interact: null, linked: null } },
  { name: 'linked a string', body: { code: 'x', linked: 'a = 1' }, error: /^linked must be a list of the code of the linked cells before this one, one string each in page order, not string$/ },
  { name: 'linked holding a list', body: { code: 'x', linked: [['a']] }, error: /^linked\[0\] must be the code of a cell, as a string, not a list of 1$/ },
  { name: 'linked with a lone surrogate', body: { code: 'x', linked: ['ok', '\udc00'] }, error: /^linked\[1\] holds half of a UTF-16 surrogate pair/ },
  { name: 'interact null is none', body: { code: 'x', interact: null }, ok: { code: 'x', language: 'python', interact: null, linked: null } },
  { name: 'interact a list', body: { code: 'x', interact: [] }, error: /^interact must be an object of interact id \("0", "1", …\) to the values of its controls, not a list of 0$/ },
  { name: 'interact id not decimal', body: { code: 'x', interact: { '1.0': {} } }, error: /^interact has the key "1\.0", which is not an interact id/ },
  { name: 'interact id too long', body: { code: 'x', interact: { '1234567890': {} } }, error: /^interact has the key "1234567890"/ },
  { name: 'interact controls a list', body: { code: 'x', interact: { 0: [1] } }, error: /^interact\["0"\] must be an object of control name to value, not a list of 1$/ },
  { name: 'interact value a range with an infinite end', body: { code: 'x', interact: { 0: { r: [0, Infinity] } } }, error: /^interact\["0"\]\["r"\] must hold finite numbers/ },
  { name: 'interact value NaN', body: { code: 'x', interact: { 0: { n: NaN } } }, error: /^interact\["0"\]\["n"\] must be a finite number/ },
  { name: 'interact control name of 200 emoji is taken', body: { code: 'x', interact: { 0: { ['🎲'.repeat(200)]: 1 } } }, ok: { code: 'x', language: 'python', interact: { 0: { ['🎲'.repeat(200)]: 1 } }, linked: null } },
  { name: 'interact control name with a lone surrogate', body: { code: 'x', interact: { 0: { '\udc00': 1 } } }, error: /^interact\["0"\] has a control name holding half of a UTF-16 surrogate pair/ },
];

const snippetCases: Case[] = [
  { name: 'code and language', body: { code: 'x', language: 'bash' }, ok: { code: 'x', language: 'bash', title: null } },
  { name: 'a title, trimmed', body: { code: 'x', language: 'python', title: '  Squares  ' }, ok: { code: 'x', language: 'python', title: 'Squares' } },
  { name: 'an empty title is none', body: { code: 'x', language: 'python', title: ' ' }, ok: { code: 'x', language: 'python', title: null } },
  { name: 'a null title is none', body: { code: 'x', language: 'python', title: null }, ok: { code: 'x', language: 'python', title: null } },
  { name: 'a title of 200 characters (emoji count once)', body: { code: 'x', language: 'python', title: '🎲'.repeat(200) }, ok: { code: 'x', language: 'python', title: '🎲'.repeat(200) } },
  { name: 'a title of 201 characters', body: { code: 'x', language: 'python', title: 't'.repeat(201) }, error: /title must be at most 200 characters/ },
  { name: 'a title with a line break', body: { code: 'x', language: 'python', title: 'a\nb' }, error: /one line of text/ },
  { name: 'a title with a C1 control (NEL)', body: { code: 'x', language: 'python', title: '\u0085nel' }, error: /one line of text/ },
  { name: 'a title with a Unicode line separator', body: { code: 'x', language: 'python', title: 'a\u2028b' }, error: /one line of text/ },
  { name: 'a title with an emoji (a surrogate pair) is text', body: { code: 'x', language: 'python', title: 'Dice 🎲' }, ok: { code: 'x', language: 'python', title: 'Dice 🎲' } },
  { name: 'code with a lone low surrogate', body: { code: 'a\udc00', language: 'python' }, error: /code holds half of a UTF-16 surrogate pair/ },
  { name: 'a title that is a number', body: { code: 'x', language: 'python', title: 3 }, error: /title must be a string/ },
  { name: 'missing code', body: { language: 'python' }, error: /code is required/ },
  { name: 'code a number', body: { code: 1, language: 'python' }, error: /code must be a string/ },
  { name: 'missing language (no default: it is part of the id)', body: { code: 'x' }, error: /language is required/ },
  { name: 'language a list', body: { code: 'x', language: ['python'] }, error: /language must be a string/ },
  { name: 'language with capitals', body: { code: 'x', language: 'Python' }, error: /short lowercase name/ },
  { name: 'unknown field', body: { code: 'x', language: 'python', timeout: 3 }, error: /unknown field "timeout"/ },
  { name: 'not an object', body: [], error: /JSON object/ },
];

/** Each body passes with the parsed value, or fails with a sentence matching `error`. */
function table(name: string, schema: typeof CellRequest | typeof SnippetRequest, rows: Case[]): void {
  describe(name, () => {
    for (const c of rows) {
      it(c.name, () => {
        const r = schema.safeParse(c.body);
        if (c.ok) {
          expect(r.success).toBe(true);
          expect(r.data).toEqual(c.ok);
        } else {
          expect(r.success).toBe(false);
          expect(describeIssues(r.error!)).toMatch(c.error!);
        }
      });
    }
  });
}

table('CellRequest', CellRequest, cases);
table('SnippetRequest', SnippetRequest, snippetCases);
