// Bad requests get a clear 4xx naming what is wrong, never a 500; past the queue limit, 503.
import http from 'node:http';
import net from 'node:net';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, startCellbox, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
});

afterAll(async () => {
  await box?.stop();
});

const json = { 'Content-Type': 'application/json' };
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  code: string;
  message: RegExp;
}

const cases: Case[] = [
  { name: 'malformed JSON', method: 'POST', path: '/api/v1/cells', body: '{"code": ', headers: json, status: 400, code: 'invalid_json', message: /not valid JSON/ },
  { name: 'empty body', method: 'POST', path: '/api/v1/cells', body: '', headers: json, status: 400, code: 'invalid_json', message: /empty/ },
  { name: 'JSON that is not an object', method: 'POST', path: '/api/v1/cells', body: '[1,2]', headers: json, status: 400, code: 'invalid_field', message: /JSON object/ },
  { name: 'missing code', method: 'POST', path: '/api/v1/cells', body: '{"language":"python"}', headers: json, status: 400, code: 'invalid_field', message: /^code is required: the source to run, as a string$/ },
  // `curl -d 'print(1)'`: the code sent as a form without its field's name.
  { name: 'a form of code without code=', method: 'POST', path: '/api/v1/cells', body: 'print(1)', headers: form, status: 400, code: 'invalid_field', message: /^code is required: the source to run, as a string; unknown field "print\(1\)"$/ },
  { name: 'code of the wrong type', method: 'POST', path: '/api/v1/cells', body: '{"code": 5}', headers: json, status: 400, code: 'invalid_field', message: /code must be a string/ },
  { name: 'language of the wrong type', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "language": 3}', headers: json, status: 400, code: 'invalid_field', message: /language must be a string/ },
  { name: 'unknown language', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "language": "cobol"}', headers: json, status: 400, code: 'unknown_language', message: /cobol.*python/ },
  // Jupyter's kernel name: refused as any unknown name, without saying which was meant.
  { name: 'a language by its Jupyter kernel name', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "language": "python3"}', headers: json, status: 400, code: 'unknown_language', message: /^language "python3" is not offered here; choose one of: .*\. Did you mean "python"\?$/ },
  { name: 'a language by its command', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "language": "node"}', headers: json, status: 400, code: 'unknown_language', message: /Did you mean "javascript"\?$/ },
  { name: 'a language by a name no language has', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "language": "cobol"}', headers: json, status: 400, code: 'unknown_language', message: /, bash\.$/ },
  { name: 'unknown field', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "lang": "python"}', headers: json, status: 400, code: 'invalid_field', message: /unknown field "lang"/ },
  { name: 'timeout not a number', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "timeout": "5"}', headers: json, status: 400, code: 'invalid_field', message: /timeout must be a number/ },
  { name: 'negative timeout', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "timeout": -1}', headers: json, status: 400, code: 'invalid_field', message: /timeout/ },
  { name: 'timeout over the limit', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "timeout": 3600}', headers: json, status: 400, code: 'invalid_field', message: /at most 30 seconds/ },
  { name: 'code over 64 KiB', method: 'POST', path: '/api/v1/cells', body: JSON.stringify({ code: 'x'.repeat(64 * 1024 + 1) }), headers: json, status: 413, code: 'too_large', message: /65537 bytes; the limit is 65536/ },
  // Japanese well under the limit by an editor's count, and over it in bytes: the message says which.
  { name: 'code over 64 KiB in emoji, each one character of two UTF-16 units', method: 'POST', path: '/api/v1/cells', body: JSON.stringify({ code: 'a😀'.repeat(13200) }), headers: json, status: 413, code: 'too_large', message: /^code is 66000 bytes; the limit is 65536\. UTF-8 bytes, not characters: its 26400 characters include/ },
  { name: 'code over 64 KiB in Japanese', method: 'POST', path: '/api/v1/cells', body: JSON.stringify({ code: '日'.repeat(22000) }), headers: json, status: 413, code: 'too_large', message: /^code is 66000 bytes; the limit is 65536\. UTF-8 bytes, not characters: its 22000 characters include some of 2 to 4 bytes/ },
  { name: 'a 10 MiB body', method: 'POST', path: '/api/v1/cells', body: 'x'.repeat(10 * 1024 * 1024), headers: json, status: 413, code: 'too_large', message: /limit/ },
  { name: 'invalid UTF-8', method: 'POST', path: '/api/v1/cells', body: new Uint8Array([0x7b, 0x22, 0x63, 0xff, 0xfe, 0x7d]), headers: json, status: 400, code: 'invalid_utf8', message: /UTF-8/ },
  { name: 'an odd Content-Type', method: 'POST', path: '/api/v1/cells', body: 'code=1', headers: { 'Content-Type': 'text/csv' }, status: 415, code: 'unsupported_media_type', message: /text\/csv/ },
  // Latin-1 bytes that happen to be valid UTF-8 ("Ã©" for "é") would run other code than was sent.
  { name: 'a JSON body in Latin-1', method: 'POST', path: '/api/v1/cells', body: new Uint8Array([...Buffer.from('{"code": "print(\'caf'), 0xc3, 0xa9, ...Buffer.from('\')"}')]), headers: { 'Content-Type': 'application/json; charset=ISO-8859-1' }, status: 415, code: 'unsupported_media_type', message: /charset "ISO-8859-1" is not accepted; send the body as UTF-8/ },
  { name: 'a form in UTF-16', method: 'POST', path: '/api/v1/cells', body: 'code=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset="utf-16"' }, status: 415, code: 'unsupported_media_type', message: /charset "utf-16"/ },
  { name: 'form with a bad timeout', method: 'POST', path: '/api/v1/cells', body: 'code=1&timeout=soon', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, status: 400, code: 'invalid_field', message: /timeout/ },
  // A form is held to what JSON is: before, each of these was queued (an unknown field dropped,
  // so the bash code ran as Python; `0x10` a 16 s timeout; `%ff` run as U+FFFD; the first `code` kept).
  { name: 'form with an unknown field', method: 'POST', path: '/api/v1/cells', body: 'code=echo+hi&langauge=bash', headers: form, status: 400, code: 'invalid_field', message: /unknown field "langauge"/ },
  { name: 'form with a hex timeout', method: 'POST', path: '/api/v1/cells', body: 'code=1&timeout=0x10', headers: form, status: 400, code: 'invalid_field', message: /timeout must be a number/ },
  { name: 'form with a field that is not UTF-8', method: 'POST', path: '/api/v1/cells', body: 'code=%ff', headers: form, status: 400, code: 'invalid_utf8', message: /"%ff".*not UTF-8/ },
  { name: 'form with a bad percent-escape', method: 'POST', path: '/api/v1/cells', body: 'code=100%', headers: form, status: 400, code: 'invalid_utf8', message: /bad percent-escape/ },
  { name: 'form giving code twice', method: 'POST', path: '/api/v1/cells', body: 'code=a&code=b', headers: form, status: 400, code: 'invalid_field', message: /"code" more than once/ },
  { name: 'form with a __proto__ field', method: 'POST', path: '/api/v1/cells', body: 'code=1&__proto__=x', headers: form, status: 400, code: 'invalid_field', message: /unknown field "__proto__"/ },
  { name: 'snippet form with an unknown field', method: 'POST', path: '/api/v1/snippets', body: 'code=1&language=python&titel=x', headers: form, status: 400, code: 'invalid_field', message: /unknown field "titel"/ },
  // JSON's "\ud800" is no text: before, a snippet of it answered 500 and its stored row made
  // the id of the same code with U+FFFD answer 500 for ever after.
  { name: 'code with a lone surrogate', method: 'POST', path: '/api/v1/cells', body: '{"code": "print(\\"\\ud800\\")"}', headers: json, status: 400, code: 'invalid_field', message: /code holds half of a UTF-16 surrogate pair/ },
  { name: 'snippet code with a lone surrogate', method: 'POST', path: '/api/v1/snippets', body: '{"code": "s = \\"\\udc00\\"", "language": "bash"}', headers: json, status: 400, code: 'invalid_field', message: /code holds half of a UTF-16 surrogate pair/ },
  // A NUL is valid JSON and UTF-8 but no program text: R, Octave, GP and Singular ran the code
  // before it as if it were all, without an error, and Bash dropped it.
  { name: 'code with a NUL', method: 'POST', path: '/api/v1/cells', body: '{"code": "x <- 1\\n1\\u0000;2", "language": "bash"}', headers: json, status: 400, code: 'invalid_field', message: /^code holds a NUL character \(U\+0000\) on line 2, which is not program text: remove it$/ },
  { name: 'form code with a NUL', method: 'POST', path: '/api/v1/execute', body: 'code=1%00%3B2', headers: form, status: 400, code: 'invalid_field', message: /code holds a NUL character \(U\+0000\) on line 1/ },
  { name: 'snippet code with a NUL', method: 'POST', path: '/api/v1/snippets', body: '{"code": "1\\u0000", "language": "bash"}', headers: json, status: 400, code: 'invalid_field', message: /code holds a NUL character/ },
  { name: 'linked code with a NUL', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "linked": ["a = 1", "b = 2\\u0000"]}', headers: json, status: 400, code: 'invalid_field', message: /^linked\[1\] holds a NUL character \(U\+0000\) on line 1/ },
  { name: 'snippet title with a lone surrogate', method: 'POST', path: '/api/v1/snippets', body: '{"code": "1", "language": "bash", "title": "a\\ud83c"}', headers: json, status: 400, code: 'invalid_field', message: /title holds half/ },
  { name: 'a wait over the limit on a new cell', method: 'POST', path: '/api/v1/cells?wait=31', body: '{"code": "1"}', headers: json, status: 400, code: 'invalid_field', message: /wait must be a number of seconds from 0 to 30/ },
  { name: 'a wait that is not a number on a new cell', method: 'POST', path: '/api/v1/cells?wait=soon', body: '{"code": "1"}', headers: json, status: 400, code: 'invalid_field', message: /wait must be/ },
  // A query is held to what a body is. Before, each of these was answered as if the parameter
  // were not there: `since` sent every message again from the first, `timeout` waited 25 s,
  // the first `after` was taken, and `wait` on /execute was not the way to bound its wait.
  { name: 'a long-poll with an unknown parameter', method: 'GET', path: '/api/v1/cells/AAAAAAAAAAAA/messages?since=5&wait=0', status: 400, code: 'invalid_field', message: /^unknown query parameter "since"; this route takes after, wait, state\.$/ },
  { name: 'a long-poll with a timeout for a wait', method: 'GET', path: '/api/v1/cells/AAAAAAAAAAAA/messages?after=0&timeout=1', status: 400, code: 'invalid_field', message: /unknown query parameter "timeout"/ },
  { name: 'a long-poll giving after twice', method: 'GET', path: '/api/v1/cells/AAAAAAAAAAAA/messages?after=1&after=9&wait=0', status: 400, code: 'invalid_field', message: /"after" is given more than once/ },
  { name: 'a poll giving wait twice', method: 'GET', path: '/api/v1/poll?c=AAAAAAAAAAAA:0&wait=0&wait=30', status: 400, code: 'invalid_field', message: /"wait" is given more than once/ },
  { name: 'a poll naming one cell twice', method: 'GET', path: '/api/v1/poll?c=AAAAAAAAAAAA:0&c=AAAAAAAAAAAA:5&wait=0', status: 400, code: 'invalid_field', message: /c names cell AAAAAAAAAAAA more than once/ },
  { name: 'a new cell with a query parameter it does not take', method: 'POST', path: '/api/v1/cells?timeout=5', body: '{"code": "1"}', headers: json, status: 400, code: 'invalid_field', message: /unknown query parameter "timeout"; this route takes wait/ },
  { name: 'execute with a query parameter', method: 'POST', path: '/api/v1/execute?wait=5', body: '{"code": "1"}', headers: json, status: 400, code: 'invalid_field', message: /unknown query parameter "wait"; this route takes none/ },
  { name: 'a cell with a query parameter', method: 'GET', path: '/api/v1/cells/AAAAAAAAAAAA?after=3', status: 400, code: 'invalid_field', message: /unknown query parameter "after"/ },
  { name: "jQuery's cache-buster is let through", method: 'GET', path: '/api/v1/cells/AAAAAAAAAAAA/messages?after=0&wait=0&_=1765040000000', status: 404, code: 'not_found', message: /no cell AAAAAAAAAAAA/ },
  // JSON.parse keeps the last of two: "b" ran, while a filter in front that read the first saw "a".
  { name: 'JSON giving code twice', method: 'POST', path: '/api/v1/cells', body: '{"code": "a", "language": "bash", "code": "b"}', headers: json, status: 400, code: 'invalid_field', message: /^The JSON body gives the field "code" more than once\.$/ },
  { name: 'JSON giving code twice, once escaped', method: 'POST', path: '/api/v1/snippets', body: '{"code": "a", "language": "bash", "co\\u0064e": "b"}', headers: json, status: 400, code: 'invalid_field', message: /"code" more than once/ },
  // Was read as plain text: "not valid UTF-8", which sent the client looking in the wrong place.
  { name: 'a gzipped body', method: 'POST', path: '/api/v1/cells', body: new Uint8Array(gzipSync('{"code": "print(1)"}')), headers: { ...json, 'Content-Encoding': 'gzip' }, status: 415, code: 'unsupported_media_type', message: /Content-Encoding "gzip" is not accepted; send the body uncompressed/ },
  // The sentence named every unknown field in full: this one was 470 KB, the next 500 KB.
  { name: '40,000 unknown fields', method: 'POST', path: '/api/v1/cells', body: JSON.stringify(Object.fromEntries([['code', '1'], ...Array.from({ length: 40_000 }, (_, i) => [`k${i}`, 1])])), headers: json, status: 400, code: 'invalid_field', message: /^unknown fields "k0", "k1", "k2", "k3", "k4" and 39995 more$/ },
  { name: 'an unknown field with a 400 KB name', method: 'POST', path: '/api/v1/cells', body: `{"code": "1", "${'k'.repeat(400_000)}": 1}`, headers: json, status: 400, code: 'invalid_field', message: /^unknown field "k{32}…"$/ },
  // A cell's `interact` (the values of its controls): each bad shape named, never queued.
  { name: 'interact that is a list', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": [1]}', headers: json, status: 400, code: 'invalid_field', message: /^interact must be an object of interact id \("0", "1", …\) to the values of its controls, not a list of 1$/ },
  { name: 'interact that is a string', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": "{}"}', headers: json, status: 400, code: 'invalid_field', message: /^interact must be an object .* not string$/ },
  { name: 'interact with an id that is not a number', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"f": {"n": 1}}}', headers: json, status: 400, code: 'invalid_field', message: /^interact has the key "f", which is not an interact id/ },
  { name: 'interact with an id with a leading zero', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"01": {}}}', headers: json, status: 400, code: 'invalid_field', message: /interact has the key "01"/ },
  { name: "interact whose controls are not an object", method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"0": 5}}', headers: json, status: 400, code: 'invalid_field', message: /^interact\["0"\] must be an object of control name to value, not number$/ },
  { name: 'interact with a null value', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"0": {"n": null}}}', headers: json, status: 400, code: 'invalid_field', message: /^interact\["0"\]\["n"\] must be a number, a string, true or false, a list of two numbers \(a range\), or a list of rows of strings \(a grid\), not null$/ },
  { name: 'interact with a grid holding a number', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"0": {"g": [["1"], [2]]}}}', headers: json, status: 400, code: 'invalid_field', message: /^interact\["0"\]\["g"\] must be .* not a list of 2$/ },
  { name: 'interact with a grid holding a lone surrogate', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"0": {"g": [["1", "\\udc00"]]}}}', headers: json, status: 400, code: 'invalid_field', message: /^interact\["0"\]\["g"\] holds half of a UTF-16 surrogate pair/ },
  { name: 'interact with a value nested deeper', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"0": {"n": {"x": 1}}}}', headers: json, status: 400, code: 'invalid_field', message: /interact\["0"\]\["n"\] must be .* not an object$/ },
  { name: 'interact with a range of three', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"0": {"r": [1, 2, 3]}}}', headers: json, status: 400, code: 'invalid_field', message: /interact\["0"\]\["r"\] must be .* not a list of 3$/ },
  { name: 'interact with a range of strings', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"0": {"r": ["1", "2"]}}}', headers: json, status: 400, code: 'invalid_field', message: /interact\["0"\]\["r"\] must be/ },
  { name: 'interact with a number past a double', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"0": {"n": 1e400}}}', headers: json, status: 400, code: 'invalid_field', message: /^interact\["0"\]\["n"\] must be a finite number \(at most ±1\.8e308\)$/ },
  { name: 'interact with an empty control name', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"0": {"": 1}}}', headers: json, status: 400, code: 'invalid_field', message: /^interact\["0"\] has an empty control name$/ },
  { name: 'interact with a control name of 201 characters', method: 'POST', path: '/api/v1/cells', body: JSON.stringify({ code: '1', interact: { 0: { ['n'.repeat(201)]: 1 } } }), headers: json, status: 400, code: 'invalid_field', message: /^interact\["0"\] has a control name longer than 200 characters/ },
  { name: 'interact with a lone surrogate', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"0": {"s": "\\ud800"}}}', headers: json, status: 400, code: 'invalid_field', message: /^interact\["0"\]\["s"\] holds half of a UTF-16 surrogate pair/ },
  { name: 'interact giving a control twice', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "interact": {"0": {"n": 1, "n": 9}}}', headers: json, status: 400, code: 'invalid_field', message: /^interact gives the key "n" more than once in one object\.$/ },
  { name: 'interact over 64 KiB', method: 'POST', path: '/api/v1/cells', body: JSON.stringify({ code: '1', interact: { 0: { s: 'x'.repeat(64 * 1024) } } }), headers: json, status: 413, code: 'too_large', message: /^interact is 65550 bytes as JSON; the limit is 65536\.$/ },
  { name: 'execute with a bad interact', method: 'POST', path: '/api/v1/execute', body: '{"code": "1", "interact": {"0": {"n": [true, 1]}}}', headers: json, status: 400, code: 'invalid_field', message: /interact\["0"\]\["n"\] must be/ },
  { name: 'form with interact that is not JSON', method: 'POST', path: '/api/v1/cells', body: 'code=1&interact=%7Bn%3A1%7D', headers: form, status: 400, code: 'invalid_field', message: /^The form field interact must be JSON text: / },
  { name: 'form with interact of a bad shape', method: 'POST', path: '/api/v1/cells', body: `code=1&interact=${encodeURIComponent('{"0": {"n": null}}')}`, headers: form, status: 400, code: 'invalid_field', message: /^interact\["0"\]\["n"\] must be/ },
  { name: 'execute with missing code', method: 'POST', path: '/api/v1/execute', body: '{}', headers: json, status: 400, code: 'invalid_field', message: /^code is required/ },
  { name: 'unknown cell', method: 'GET', path: '/api/v1/cells/AAAAAAAAAAAA', status: 404, code: 'not_found', message: /no cell AAAAAAAAAAAA/ },
  { name: 'malformed cell id', method: 'GET', path: '/api/v1/cells/..%2F..%2Fetc', status: 404, code: 'not_found', message: /no cell/ },
  { name: 'messages of an unknown cell', method: 'GET', path: '/api/v1/cells/AAAAAAAAAAAA/messages?wait=0', status: 404, code: 'not_found', message: /no cell/ },
  { name: 'interrupt of an unknown cell', method: 'POST', path: '/api/v1/cells/AAAAAAAAAAAA/interrupt', status: 404, code: 'not_found', message: /no cell/ },
  { name: 'unknown API route', method: 'GET', path: '/api/v1/nothing', status: 404, code: 'not_found', message: /no API route/ },
  { name: 'poll without cells', method: 'GET', path: '/api/v1/poll', status: 400, code: 'invalid_field', message: /at least one cell/ },
  { name: 'poll with a malformed spec', method: 'GET', path: '/api/v1/poll?c=abc:def:1', status: 400, code: 'invalid_field', message: /<id>:<after>/ },
  // 16 digits were refused as malformed here, though the one-cell long-poll's after takes them.
  { name: 'poll with an after of 16 digits', method: 'GET', path: '/api/v1/poll?c=AAAAAAAAAAAA:9007199254740991&wait=0', status: 404, code: 'not_found', message: /^There is no cell AAAAAAAAAAAA\.$/ },
  { name: 'poll with an after past 2^53 - 1', method: 'GET', path: '/api/v1/poll?c=AAAAAAAAAAAA:9007199254740992&wait=0', status: 400, code: 'invalid_field', message: /^The after in c \(AAAAAAAAAAAA\) must be between 0 and 9007199254740991\.$/ },
  { name: 'a long-poll with an after past 2^53 - 1', method: 'GET', path: '/api/v1/cells/AAAAAAAAAAAA/messages?after=9007199254740992&wait=0', status: 400, code: 'invalid_field', message: /^after must be between 0 and 9007199254740991\.$/ },
  // Listed all 100 ids (some 1,400 characters) before.
  { name: 'poll of 100 unknown cells', method: 'GET', path: `/api/v1/poll?wait=0&${Array.from({ length: 100 }, (_, i) => `c=${String(i).padStart(12, 'A')}`).join('&')}`, status: 404, code: 'not_found', message: /^None of the 100 cells is known: AAAAAAAAAAA0, AAAAAAAAAAA1, AAAAAAAAAAA2, AAAAAAAAAAA3, AAAAAAAAAAA4 and 95 more\.$/ },
  { name: 'a method the route does not answer', method: 'PUT', path: '/api/v1/cells', body: '{}', headers: json, status: 405, code: 'method_not_allowed', message: /PUT is not answered here; use POST/ },
  { name: 'GET on a POST-only route', method: 'GET', path: '/api/v1/execute', status: 405, code: 'method_not_allowed', message: /use POST/ },
  { name: 'DELETE of an unknown API route', method: 'DELETE', path: '/api/v1/nothing', status: 404, code: 'not_found', message: /no API route/ },
  { name: 'POST on the page', method: 'POST', path: '/', body: 'code=1', status: 405, code: 'method_not_allowed', message: /POST is not answered here; use GET/ },
  { name: 'DELETE on the embed page', method: 'DELETE', path: '/embed', status: 405, code: 'method_not_allowed', message: /use GET/ },
  // Before the page is looked for: an unknown snippet's page rendered 404 HTML, and a form
  // post was taken for a server action ("Server Action unavailable", 409).
  { name: 'POST on an unknown permalink page', method: 'POST', path: '/s/AAAAAAAAAAAA', body: '{}', headers: json, status: 405, code: 'method_not_allowed', message: /use GET/ },
  { name: 'form POST on an unknown permalink page', method: 'POST', path: '/s/AAAAAAAAAAAA', body: 'a=1', headers: { 'Content-Type': 'multipart/form-data' }, status: 405, code: 'method_not_allowed', message: /use GET/ },
  { name: 'PUT on the health check', method: 'PUT', path: '/healthz', status: 405, code: 'method_not_allowed', message: /use GET/ },
  { name: 'POST on the metrics', method: 'POST', path: '/metrics', status: 405, code: 'method_not_allowed', message: /use GET/ },
  { name: 'file of an unknown cell', method: 'GET', path: '/files/AAAAAAAAAAAA/x.txt', status: 404, code: 'not_found', message: /no file/ },
  { name: 'POST to /files', method: 'POST', path: '/files', body: 'a=1', status: 404, code: 'not_found', message: /File URLs look like/ },
  { name: 'form POST to a path no route takes', method: 'POST', path: '/nothing/here', body: 'a=1', headers: { 'Content-Type': 'multipart/form-data' }, status: 404, code: 'not_found', message: /nothing at "\/nothing\/here"/ },
];

describe('bad input', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const res = await fetch(`${box.url}${c.path}`, { method: c.method, headers: c.headers, body: c.body as BodyInit | undefined });
      const body = await res.json();
      expect(res.status).toBe(c.status);
      expect(body.error.code).toBe(c.code);
      expect(body.error.message).toMatch(c.message);
    });
  }

  it('a page answers a method it does not take with a 405 naming GET, and OPTIONS with the methods it takes', async () => {
    // Next.js rendered the page for any method, and answered OPTIONS with an empty 400.
    const shared = await post(`${box.url}/api/v1/snippets`, { code: 'print(1)', language: 'python' });
    for (const path of ['/', `/s/${shared.body.id}`]) {
      const put = await fetch(`${box.url}${path}`, { method: 'PUT', body: 'x' });
      expect(put.status, path).toBe(405);
      expect(put.headers.get('allow'), path).toBe('GET, HEAD, OPTIONS');
      expect((await put.json()).error.message, path).toBe('PUT is not answered here; use GET.');
      const options = await fetch(`${box.url}${path}`, { method: 'OPTIONS' });
      expect(options.status, path).toBe(204);
      expect(options.headers.get('allow'), path).toBe('GET, HEAD, OPTIONS');
      expect((await fetch(`${box.url}${path}`, { method: 'HEAD' })).status, path).toBe(200);
    }
  });

  it('a body that says it is UTF-8, in any of the spellings clients send, is taken', async () => {
    for (const type of ['application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'application/json; Charset=utf8', 'application/x-www-form-urlencoded; charset=UTF-8']) {
      const body = type.includes('json') ? '{"code": "print(1)"}' : 'code=print(1)';
      const res = await fetch(`${box.url}/api/v1/cells`, { method: 'POST', headers: { 'Content-Type': type }, body });
      expect(res.status, type).toBe(201);
    }
  });

  it('a 10 MiB body sent in chunks, its length never declared, is 413 and the connection stays usable', async () => {
    // No Content-Length to refuse it by: the server reads up to its limit, answers, and drops the
    // rest. The answer must reach the client, and a next request on the same connection works.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, path: string, chunks: Buffer[]) => new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request(`${box.url}${path}`, { method, agent, headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(parts).toString()) }));
      });
      req.on('error', reject);
      (async () => {
        for (const c of chunks) if (!req.write(c)) await new Promise((r) => req.once('drain', r));
        req.end();
      })();
    });
    try {
      const big = await send('POST', '/api/v1/cells', Array.from({ length: 160 }, () => Buffer.alloc(64 * 1024, 'x')));
      expect(big.status).toBe(413);
      expect(big.body.error).toMatchObject({ code: 'too_large', message: expect.stringMatching(/over \d+ bytes, the limit/) });
      const next = await send('POST', '/api/v1/cells', [Buffer.from('{"code": "print(2)"}')]);
      expect(next.status).toBe(201);
    } finally {
      agent.destroy();
    }
  });

  // The check for a field given twice reads only the body's own keys: not a key in a nested
  // value, nor JSON text inside the code.
  it('code that holds JSON with a key twice is queued as it is', async () => {
    const code = 'echo \'{"code": 1, "code": 2}\'';
    const r = await post(`${box.url}/api/v1/cells`, `{"language": "bash", "code": ${JSON.stringify(code)}}`);
    expect(r.status).toBe(201);
    const snippet = await post(`${box.url}/api/v1/snippets`, `{"code": ${JSON.stringify(code)}, "language": "bash", "title": "{\\"title\\": 1, \\"title\\": 2}"}`);
    expect(snippet.status).toBe(201);
    expect((await get(`${box.url}/api/v1/snippets/${snippet.body.id}`)).body).toMatchObject({ code, title: '{"title": 1, "title": 2}' });
  });

  describe('a body far over the limit, its size declared', () => {
    /** Sends `mb` MiB, declared in Content-Length; `early` says whether the answer came before the last byte was sent. */
    const sendLarge = (path: string, mb: number) => new Promise<{ status: number; body: any; early: boolean }>((resolve, reject) => {
      let finished = false;
      const req = http.request(`${box.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': String(mb * 1024 * 1024) } }, (res) => {
        const early = !finished;
        const parts: Buffer[] = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(parts).toString()), early }));
      });
      req.on('error', (e) => (finished ? reject(e) : undefined)); // the server may stop reading once it has answered
      const chunk = Buffer.alloc(1024 * 1024, 'x');
      let sent = 0;
      const pump = () => {
        while (sent < mb) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        finished = true;
        req.end();
      };
      pump();
    });

    // Next.js's proxy read each of these to its end, holding up to 10 MB of it twice over, and
    // logged "Request body exceeded 10MB" for each, before any route could refuse it.
    for (const [path, status, code] of [
      ['/api/v1/snippets', 413, 'too_large'],
      ['/api/v1/cells/AAAAAAAAAAAA/interrupt', 404, 'not_found'],
      ['/', 413, 'too_large'],
    ] as const) {
      it(`POST ${path} of 40 MiB is answered ${status} before it is sent in full`, async () => {
        const before = box.logs.length;
        const r = await sendLarge(path, 40);
        expect(r.status).toBe(status);
        expect(r.body.error.code).toBe(code);
        expect(r.early).toBe(true);
        expect(box.logs.slice(before).join('')).not.toMatch(/exceeded/);
      });
    }
  });

  describe('the request line, read as sent', () => {
    /** One request over a socket of its own, its target as given (fetch would normalise it), and the answer's head and body. */
    const raw = (requestLine: string, extra = '') => new Promise<{ status: number; headers: string; body: string }>((resolve, reject) => {
      const socket = net.connect(box.port, '127.0.0.1', () => socket.end(`${requestLine}\r\nHost: localhost\r\nConnection: close\r\n${extra}\r\n`));
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', reject);
      socket.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const [head, ...rest] = text.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: rest.join('\r\n\r\n') });
      });
    });
    const errorOfBody = (body: string) => JSON.parse(body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1)).error;

    // Each was a plain-text 500 (`new URL('*')` threw).
    it('OPTIONS * says what the server answers; GET * is a 400 naming it', async () => {
      const options = await raw('OPTIONS * HTTP/1.1');
      expect(options.status).toBe(204);
      expect(options.headers).toContain('allow: get, head, post, options');
      const star = await raw('GET * HTTP/1.1');
      expect(star.status).toBe(400);
      expect(errorOfBody(star.body)).toMatchObject({ code: 'invalid_field', message: expect.stringMatching(/"\*" is a target for OPTIONS only/) });
    });

    // Each was a plain-text 500 and a stack trace in the log ("'TRACE' HTTP method is
    // unsupported": Next.js makes a Fetch API Request of it, and Fetch forbids the method).
    for (const [path, status, code, message] of [
      ['/api/v1/cells', 405, 'method_not_allowed', /^TRACE is not answered here; use POST\.$/],
      ['/api/v1/cells/AAAAAAAAAAAA/messages', 405, 'method_not_allowed', /use GET/],
      ['/', 405, 'method_not_allowed', /use GET/],
      ['/files/AAAAAAAAAAAA/a.txt', 405, 'method_not_allowed', /use GET/],
      ['/nothing/here', 404, 'not_found', /nothing at "\/nothing\/here"/],
    ] as const) {
      it(`TRACE ${path} is a JSON ${status}, and nothing is logged as our failure`, async () => {
        const before = box.logs.length;
        const r = await raw(`TRACE ${path} HTTP/1.1`);
        expect(r.status).toBe(status);
        expect(errorOfBody(r.body)).toMatchObject({ code, message: expect.stringMatching(message) });
        if (status === 405) expect(r.headers).toMatch(/\r\nallow: [a-z, ]*options\r\n/);
        expect(box.logs.slice(before).join('')).not.toMatch(/unsupported|internal error|TypeError/);
      });
    }

    // Node.js closed the connection without a word.
    it('CONNECT is a JSON 405 saying this is no proxy', async () => {
      const r = await raw('CONNECT localhost:80 HTTP/1.1');
      expect(r.status).toBe(405);
      expect(r.headers).toContain('allow: get, head, post, options');
      expect(errorOfBody(r.body)).toMatchObject({ code: 'method_not_allowed', message: expect.stringMatching(/CONNECT is not answered here: this server is not a proxy/) });
    });

    // Node.js's own answers to these were empty: a bare 400, and a 431 that left a browser a
    // blank page.
    it('a request that is not valid HTTP is a JSON 400 saying why', async () => {
      const r = await raw('POST /api/v1/cells HTTP/1.1', 'Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n');
      expect(r.status).toBe(400);
      expect(errorOfBody(r.body)).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/^The request is not valid HTTP\/1\.1 \(.*Content-Length.*\)\.$/) });
    });

    it('a head over the limit is a JSON 431 naming it', async () => {
      const r = await raw('GET /api/v1/languages HTTP/1.1', `Cookie: a=${'x'.repeat(200 * 1024)}\r\n`);
      expect(r.status).toBe(431);
      expect(errorOfBody(r.body)).toMatchObject({ code: 'headers_too_large', message: expect.stringMatching(/over 131072 bytes, the limit/) });
    });

    // 60 KB of code, within the 64 KiB a link may hold, that deflate shrinks to 27 KB: a 36 KB
    // URL, over Node.js's 16 KiB head, was an empty 431 where the page should have been.
    it('a ?z= link within the code limit opens the page with its code', async () => {
      let seed = 1;
      const random = () => (seed = (seed * 48271) % 2147483647);
      const code = Array.from({ length: 1400 }, (_, i) => `x${i} = ${random()} * ${random()} + ${random()}`).join('\n');
      const z = deflateSync(Buffer.from(code)).toString('base64url');
      expect(Buffer.byteLength(code)).toBeLessThan(64 * 1024);
      expect(z.length).toBeGreaterThan(32 * 1024);
      const page = await fetch(`${box.url}/?z=${z}&lang=python`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain(`x1399 = `);
      expect(html).not.toContain('could not be read');
    });

    // Was a 308 to http://evil.example/api/v1/languages.
    it('an absolute target is answered for its path, never redirected to its host', async () => {
      const r = await raw('GET http://evil.example/api/v1/languages HTTP/1.1');
      expect(r.status).toBe(200);
      expect(r.headers).not.toContain('location:');
      expect(r.body).toContain('"name":"python"');
    });

    // Resolved before: /s/../api/v1/languages answered the languages, /api/v1/cells/./<id> the cell.
    for (const path of ['/s/../api/v1/languages', '/api/v1/cells/%2e%2e/messages', '/api/v1/./languages', '/files/AAAAAAAAAAAA/%2E', '/embed/..']) {
      it(`${path}: a "." or ".." segment is a 400`, async () => {
        const r = await raw(`GET ${path} HTTP/1.1`);
        expect(r.status).toBe(400);
        expect(errorOfBody(r.body)).toMatchObject({ code: 'invalid_field', message: 'Bad URL: the path must not contain "." or ".." segments.' });
      });
    }

    // Was a 308 to the path without it, with no CORS headers: a page's fetch failed on it.
    it('an API path with a trailing slash is a JSON 404 naming the path without it', async () => {
      const r = await fetch(`${box.url}/api/v1/cells/`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'https://course.example' }, body: '{"code": "1"}', redirect: 'manual' });
      expect(r.status).toBe(404);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect((await r.json()).error).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no trailing "\/" \("\/api\/v1\/cells"\)/) });
    });

    // Next.js's 308 to /healthz, without CORS headers: a status page's fetch from elsewhere failed on it.
    for (const [path, canonical] of [['/healthz/', '/healthz'], ['/metrics/', '/metrics']]) {
      it(`${path} is a JSON 404 naming ${canonical}, readable from any page`, async () => {
        const r = await fetch(`${box.url}${path}`, { headers: { Origin: 'https://status.example' }, redirect: 'manual' });
        expect(r.status).toBe(404);
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
        expect((await r.json()).error).toMatchObject({ code: 'not_found', message: expect.stringContaining(`no trailing "/" (${JSON.stringify(canonical)})`) });
      });
    }

    // Each was a 308 to the path without the empty part or the slash, with no CORS headers (a
    // page's fetch failed on it) and the path as plain text for curl's POST: a base URL
    // written with a trailing "/" makes the first.
    for (const [path, canonical] of [
      ['//api/v1/cells', '/api/v1/cells'],
      ['/api/v1//cells', '/api/v1/cells'],
      ['/files/AAAAAAAAAAAA//a.txt', '/files/AAAAAAAAAAAA/a.txt'],
      ['/files/AAAAAAAAAAAA/a.txt/', '/files/AAAAAAAAAAAA/a.txt'],
    ]) {
      it(`${path} is a JSON 404 naming ${canonical}, readable from any page`, async () => {
        const method = path.includes('cells') ? 'POST' : 'GET';
        const r = await fetch(`${box.url}${path}`, { method, headers: { 'Content-Type': 'application/json', Origin: 'https://course.example' }, body: method === 'POST' ? '{"code": "1"}' : undefined, redirect: 'manual' });
        expect(r.status).toBe(404);
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
        expect((await r.json()).error).toMatchObject({ code: 'not_found', message: expect.stringContaining(`(${JSON.stringify(canonical)})`) });
      });
    }

    // Was Next.js's HTML 404 page.
    it('OPTIONS on a path no route takes is a JSON 404', async () => {
      const r = await fetch(`${box.url}/nothing/here`, { method: 'OPTIONS' });
      expect(r.status).toBe(404);
      expect((await r.json()).error.code).toBe('not_found');
    });

    // Was logged as "[web] internal error: Error: aborted", a 500 attempted for the client's own doing.
    it('a client that closes mid-body is not logged as a failure of the server', async () => {
      const before = box.logs.length;
      await new Promise<void>((resolve) => {
        const socket = net.connect(box.port, '127.0.0.1', () => {
          socket.write('POST /api/v1/cells HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"cod');
          setTimeout(() => socket.destroy(), 100);
        });
        socket.on('close', () => resolve());
        socket.on('error', () => {});
      });
      await new Promise((r) => setTimeout(r, 300));
      expect((await get(`${box.url}/healthz`)).status).toBe(200);
      expect(box.logs.slice(before).join('')).not.toMatch(/internal error/);
    });
  });

  describe('on a real cell', () => {
    let id = '';
    beforeAll(async () => {
      id = (await post(`${box.url}/api/v1/cells`, { code: 'open("a.txt","w").write("a")' })).body.id;
      await get(`${box.url}/api/v1/cells/${id}/messages?after=0&wait=10`);
    });
    const params: [string, RegExp][] = [
      ['after=-1', /after must be between/],
      ['after=abc', /after must be a whole number/],
      ['after=1e3', /after must be a whole number/],
      ['after=+1', /after must be a whole number, not " 1"\. \(A "\+" in a query string stands for a space/],
      ['wait=+5', /not " 5"\. \(A "\+" in a query string stands for a space/],
      ['wait=31', /wait must be a number of seconds from 0 to 30/],
      ['wait=-1', /wait must be/],
      ['wait=soon', /wait must be/],
      ['wait=99999999999999999999', /wait must be/],
    ];
    for (const [q, message] of params) {
      it(`messages?${q}`, async () => {
        const r = await get(`${box.url}/api/v1/cells/${id}/messages?${q}`);
        expect(r.status).toBe(400);
        expect(r.body.error.message).toMatch(message);
      });
    }
    it('messages?wait= takes a decimal as written either way: .5, 0.5, 5.', async () => {
      // `.5` was refused though `0.5` was taken.
      for (const wait of ['.5', '0.5', '5.']) expect((await get(`${box.url}/api/v1/cells/${id}/messages?after=0&wait=${wait}`)).status, wait).toBe(200);
      for (const wait of ['.', '1e1', '0x1']) expect((await get(`${box.url}/api/v1/cells/${id}/messages?after=0&wait=${wait}`)).status, wait).toBe(400);
    });
    for (const name of ['..', '%2e%2e', '..%2F..%2Fcellbox.sqlite', '%2Fetc%2Fpasswd', 'a%0Ab', '%ZZ']) {
      it(`files/${name} is refused`, async () => {
        const r = await get(`${box.url}/files/${id}/${name}`);
        expect([400, 404]).toContain(r.status);
        expect(typeof r.body.error?.message).toBe('string');
      });
    }
  });
});

describe('the queue limit', () => {
  it('answers 503 with Retry-After past it', async () => {
    const small = await startCellbox({ CELLBOX_QUEUE_LIMIT: '2', CELLBOX_CONCURRENCY: '1' });
    try {
      await small.killDevice('SIGTERM'); // nothing drains the queue now
      const codes: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 3; i++) {
        const r = await post(`${small.url}/api/v1/cells`, { code: 'pass' });
        codes.push(r.status);
        if (r.status === 503) {
          retryAfter = r.headers.get('retry-after');
          expect(r.body.error).toEqual({ code: 'queue_full', message: 'The server is busy: 2 cells are waiting. Try again in a few seconds.' });
        }
      }
      expect(codes).toEqual([201, 201, 503]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      // The web server answers these routes without Next.js (app/_lib/router.ts): the same
      // answer, with CORS, but none of Next.js's headers.
      for (const path of ['/api/v1/cells', '/api/v1/execute']) {
        const r = await fetch(`${small.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://course.example' }, body: 'code=pass' });
        expect(r.status).toBe(503);
        expect(await r.json()).toMatchObject({ error: { code: 'queue_full', message: expect.stringMatching(/busy/) } });
        expect(r.headers.get('retry-after')).toBe(retryAfter);
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
        expect(r.headers.get('vary') ?? '').not.toMatch(/next-router/);
      }
      // Other requests are routed as ever.
      expect((await get(`${small.url}/api/v1/languages`)).status).toBe(200);
    } finally {
      await small.stop();
    }
  });
});
