// The config table: defaults, the file, the environment, and clear errors for bad values.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, languageLimits, loadConfig, unknownEnvNames } from '../../store/config';

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-config-'));
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('serves one machine with no configuration', () => {
    const c = loadConfig({}, cwd);
    expect(c.port).toBe(3000);
    expect(c.host).toBeUndefined(); // every address
    expect(c.dataDir).toBe(path.join(cwd, 'data'));
    expect(c.limits).toEqual(DEFAULTS.limits);
    expect(c.interruptGraceSeconds).toBe(1);
    expect(c.languages.map((l) => l.name)).toEqual(['python', 'sage', 'javascript', 'bash', 'r', 'octave', 'html', 'gp', 'gap', 'maxima', 'singular', 'c', 'fortran']);
  });

  it('takes the file, then the environment on top', () => {
    const file = path.join(cwd, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ queueLimit: 7, limits: { memoryMiB: 256 } }));
    const c = loadConfig({ CELLBOX_CONFIG: file, PORT: '8080', CELLBOX_MEMORY_MIB: '128', CELLBOX_ALLOWED_ORIGINS: 'https://a.org, https://b.org', CELLBOX_INTERRUPT_GRACE_SECONDS: '0.5', CELLBOX_HOST: '127.0.0.1' }, cwd);
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', queueLimit: 7, allowedOrigins: ['https://a.org', 'https://b.org'], interruptGraceSeconds: 0.5 });
    expect(c.limits.memoryMiB).toBe(128);
    expect(c.limits.wallSeconds).toBe(30);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['a port that is not a number', { PORT: 'abc' }, /PORT="abc" is not a whole number/],
    ['a port out of range', { PORT: '70000' }, /port/],
    ['an empty host', { CELLBOX_HOST: '' }, /host \(CELLBOX_HOST=\)/],
    ['a fractional process limit', { CELLBOX_PROCESSES: '1.5' }, /CELLBOX_PROCESSES="1.5"/],
    ['a tiny memory limit', { CELLBOX_MEMORY_MIB: '1' }, /limits.memoryMiB/],
    ['a missing config file', { CELLBOX_CONFIG: '/nonexistent/c.json' }, /does not exist/],
    // Ignored without a word: the server ran on the default the host meant to change.
    ['a typo of a setting', { CELLBOX_WALL_SECOND: '5' }, /^CELLBOX_WALL_SECOND is not a setting; did you mean CELLBOX_WALL_SECONDS\?/],
    ['a typo of a setting', { CELLBOX_CONCURENCY: '5' }, /did you mean CELLBOX_CONCURRENCY\?/],
    // Said as the host set it, with the range: `concurrency` alone did not say where it came from.
    ['a value out of range from the environment', { CELLBOX_CONCURRENCY: '0' }, /concurrency \(CELLBOX_CONCURRENCY=0\): .*>=\s?1/],
    ['a limit out of range from the environment', { CELLBOX_WALL_SECONDS: '-1' }, /limits.wallSeconds \(CELLBOX_WALL_SECONDS=-1\): /],
    ['a negative interrupt grace', { CELLBOX_INTERRUPT_GRACE_SECONDS: '-1' }, /interruptGraceSeconds \(CELLBOX_INTERRUPT_GRACE_SECONDS=-1\): /],
  ];
  for (const [name, env, message] of bad) {
    it(`stops on ${name}`, () => {
      expect(() => loadConfig(env, cwd)).toThrow(ConfigError);
      expect(() => loadConfig(env, cwd)).toThrow(message);
    });
  }

  it('lets other CELLBOX_ names by, for the servers to warn of', () => {
    expect(loadConfig({ CELLBOX_TIMEOUTT: '5', CELLBOX_WORKERS_DIR: '/w' }, cwd).limits.wallSeconds).toBe(30);
    expect(unknownEnvNames({ CELLBOX_TIMEOUTT: '5', CELLBOX_WORKERS_DIR: '/w', CELLBOX_CONFIG: 'c', PORT: '1' })).toEqual([{ name: 'CELLBOX_TIMEOUTT', meant: undefined }]);
  });

  it('stops on a config file that is not JSON, or has unknown keys', () => {
    const file = path.join(cwd, 'bad.json');
    fs.writeFileSync(file, '{ nope');
    expect(() => loadConfig({ CELLBOX_CONFIG: file }, cwd)).toThrow(/not valid JSON/);
    fs.writeFileSync(file, '{"prot": 1}');
    expect(() => loadConfig({ CELLBOX_CONFIG: file }, cwd)).toThrow(/prot/);
  });

  const language = (extra: Record<string, unknown>) => ({
    name: 'py', display_name: 'Py', command: ['/usr/bin/python3'], file_extension: '.py', codemirror_mode: 'python', ...extra,
  });
  const withLanguages = (languages: unknown[], limits?: unknown) => {
    const file = path.join(cwd, 'languages.json');
    fs.writeFileSync(file, JSON.stringify({ languages, ...(limits ? { limits } : {}) }));
    return { CELLBOX_CONFIG: file };
  };

  it("gives a language its own limits over the global ones, the file's and the environment's", () => {
    const env = { ...withLanguages([language({ name: 'slow', limits: { wallSeconds: 120, outputBytes: 4096 } }), language({ name: 'plain' })], { memoryMiB: 256 }), CELLBOX_WALL_SECONDS: '10' };
    const c = loadConfig(env, cwd);
    expect(languageLimits(c, 'slow')).toEqual({ ...DEFAULTS.limits, memoryMiB: 256, wallSeconds: 120, outputBytes: 4096 });
    expect(languageLimits(c, 'plain')).toEqual({ ...DEFAULTS.limits, memoryMiB: 256, wallSeconds: 10 });
    expect(languageLimits(c, 'unknown')).toEqual(c.limits);
  });

  it('takes a version probe, and stops on a bad one or a bad language limit', () => {
    const probe = { command: ['gcc', '-dumpfullversion'], pattern: '^(\\d+)' };
    expect(loadConfig(withLanguages([language({ versionProbe: probe })]), cwd).languages[0].versionProbe).toEqual(probe);
    expect(() => loadConfig(withLanguages([language({ versionProbe: { command: ['x'], pattern: '(' } })]), cwd)).toThrow(/languages.0.versionProbe.pattern: is not a valid regular expression/);
    expect(() => loadConfig(withLanguages([language({ versionProbe: { command: [] } })]), cwd)).toThrow(/versionProbe.command/);
    expect(() => loadConfig(withLanguages([language({ limits: { wallSecond: 5 } })]), cwd)).toThrow(/wallSecond/);
    expect(() => loadConfig(withLanguages([language({ limits: { memoryMiB: 1 } })]), cwd)).toThrow(/languages.0.limits.memoryMiB/);
  });

  it('lets two entries share one runtime with different environments', () => {
    const c = loadConfig(withLanguages([
      language({ name: 'py-a', env: { FLAVOR: 'a' } }),
      language({ name: 'py-b', env: { FLAVOR: 'b' }, limits: { wallSeconds: 5 } }),
    ]), cwd);
    expect(c.languages.map((l) => [l.name, l.command[0], l.env.FLAVOR])).toEqual([['py-a', '/usr/bin/python3', 'a'], ['py-b', '/usr/bin/python3', 'b']]);
  });
});
