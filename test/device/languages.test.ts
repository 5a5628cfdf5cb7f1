// The language registry on this machine (device/languages.ts): version probes run for real,
// runtimes that are missing are left out with the line saying how to install them, and each
// language's own limits are merged over the global ones.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeVersion, resolveLanguages } from '../../device/languages';
import { DEFAULTS, type Config, type LanguageConfig } from '../../store/config';

const PATH = '/usr/local/bin:/usr/bin:/bin';
const python = (code: string) => ['/usr/bin/python3', '-c', code];

describe('probeVersion', () => {
  it("takes the pattern's first group, else its whole match", () => {
    expect(probeVersion({ command: python('print("Flavour 9.8.7 (patched)")'), pattern: 'Flavour (\\S+)' }, {}, PATH)).toEqual({ version: '9.8.7' });
    expect(probeVersion({ command: python('print("Flavour 9.8.7 (patched)")'), pattern: '\\d+\\.\\d+' }, {}, PATH)).toEqual({ version: '9.8' });
  });

  it('takes the first line that is not empty without a pattern, and stderr when stdout is empty', () => {
    expect(probeVersion({ command: python('print("\\n  1.2.3  \\nmore")') }, {}, PATH)).toEqual({ version: '1.2.3' });
    expect(probeVersion({ command: python('import sys; sys.stderr.write("v4\\n")') }, {}, PATH)).toEqual({ version: 'v4' });
  });

  it("runs with the language's environment and a PATH of its own", () => {
    expect(probeVersion({ command: ['python3', '-c', 'import os; print(os.environ["FLAVOR"])'] }, { FLAVOR: 'b' }, PATH)).toEqual({ version: 'b' });
  });

  it('tells a missing program from one that fails or says nothing useful', () => {
    expect(probeVersion({ command: ['no-such-runtime-here'] }, {}, PATH)).toEqual({ missing: 'no-such-runtime-here' });
    expect(probeVersion({ command: python('import sys; print("broken", file=sys.stderr); sys.exit(3)') }, {}, PATH)).toEqual({ error: expect.stringMatching(/exited with status 3: broken/) });
    expect(probeVersion({ command: python('print("no digits")'), pattern: '\\d+' }, {}, PATH)).toEqual({ error: expect.stringMatching(/said no version matching/) });
    expect(probeVersion({ command: python('pass') }, {}, PATH)).toEqual({ error: expect.stringMatching(/said no version/) });
  });

  // As root, `npm test`'s set-up installs every runtime: then each default probe must work here.
  const isRoot = process.getuid?.() === 0;
  for (const name of ['r', 'octave', 'gp', 'gap', 'maxima', 'singular', 'c', 'fortran']) {
    const lang = DEFAULTS.languages.find((l) => l.name === name)!;
    const installed = isRoot || PATH.split(':').some((d) => fs.existsSync(`${d}/${lang.versionProbe!.command[0]}`));
    it.skipIf(!installed)(`finds the version of the default ${name} runtime`, () => {
      expect(probeVersion(lang.versionProbe!, lang.env, PATH)).toEqual({ version: expect.stringMatching(/^\d+\.\d+(\.\d+)?$/) });
    });
  }
});

describe('resolveLanguages', () => {
  const entry = (extra: Partial<LanguageConfig>): LanguageConfig => ({
    name: 'x', display_name: 'X', command: ['/usr/bin/python3', '-I', '/opt/cellbox/workers/python/kernel.py'], env: {}, readOnlyPaths: [],
    memoryRlimit: 'as', file_extension: '.py', codemirror_mode: 'python', pool: 1, install: '', ...extra,
  });
  const config = (languages: LanguageConfig[]): Config => ({ ...DEFAULTS, limits: { ...DEFAULTS.limits, wallSeconds: 20 }, languages });

  it('leaves out a language whose probe program is missing or fails, saying how to install it', () => {
    const logs: string[] = [];
    const found = resolveLanguages(config([
      entry({ name: 'kept', versionProbe: { command: python('print("kept 1.0")'), pattern: 'kept (\\S+)' } }),
      entry({ name: 'gone', versionProbe: { command: ['no-such-compiler-here', '--version'] }, install: 'apt-get install -y no-such-compiler' }),
      entry({ name: 'broken', versionProbe: { command: python('import sys; sys.exit(1)') }, install: 'apt-get install -y broken' }),
      entry({ name: 'absent', command: ['/no/such/interpreter'], install: 'apt-get install -y absent' }),
    ]), '/tmp/workers', (_level, msg) => logs.push(msg), PATH);
    expect(found.map((l) => [l.config.name, l.version])).toEqual([['kept', '1.0']]);
    expect(logs).toEqual([
      'language gone left out: no-such-compiler-here is not installed (install it with: apt-get install -y no-such-compiler)',
      expect.stringMatching(/^language broken left out: its version probe .* exited with status 1.*\(reinstall it with: apt-get install -y broken\)$/),
      'language absent left out: /no/such/interpreter is not installed (install it with: apt-get install -y absent)',
    ]);
  });

  it("gives each language's sandbox its own limits over the global ones, and its own environment", () => {
    const [a, b] = resolveLanguages(config([
      entry({ name: 'py-a', env: { FLAVOR: 'a' } }),
      entry({ name: 'py-b', env: { FLAVOR: 'b' }, limits: { wallSeconds: 5, memoryMiB: 1024 } }),
    ]), '/tmp/workers', () => {}, PATH);
    expect(a.spec.limits).toEqual({ ...DEFAULTS.limits, wallSeconds: 20 });
    expect(b.spec.limits).toEqual({ ...DEFAULTS.limits, wallSeconds: 5, memoryMiB: 1024 });
    expect([a.spec.env, b.spec.env]).toEqual([{ FLAVOR: 'a' }, { FLAVOR: 'b' }]);
    expect(a.spec.command).toEqual(b.spec.command);
    expect([a.version, b.version]).toEqual([undefined, undefined]);
  });
});
