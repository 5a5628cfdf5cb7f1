// Dependencies point one way (docs/ARCHITECTURE.md): each module imports only the modules its
// row allows. Reads every source file's import specifiers; a new arrow fails here.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

const ALLOWED: Record<string, string[]> = {
  protocol: [],
  workers: [],
  filestore: [],
  store: ['protocol'],
  device: ['protocol', 'store', 'filestore', 'workers'],
  app: ['protocol', 'store', 'filestore', 'embed'],
  embed: ['protocol'],
};

/** Node built-ins protocol/ and embed/ must not use: they run in the browser too. */
const BROWSER_MODULES = new Set(['protocol', 'embed']);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|tsx)$/.test(e.name)) out.push(p);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2]);
}

describe('module boundaries', () => {
  for (const [mod, allowed] of Object.entries(ALLOWED)) {
    it(`${mod}/ imports only ${allowed.length ? allowed.join(', ') : 'nothing of ours'}`, () => {
      const bad: string[] = [];
      for (const file of sources(path.join(root, mod))) {
        for (const spec of importsOf(file)) {
          if (spec.startsWith('.')) {
            const target = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep)[0];
            if (target !== mod && !allowed.includes(target)) bad.push(`${path.relative(root, file)} → ${spec}`);
            // device may use only the types of workers/protocol.
            if (mod === 'device' && target === 'workers' && !spec.endsWith('workers/protocol')) bad.push(`${path.relative(root, file)} → ${spec}`);
          } else if (BROWSER_MODULES.has(mod) && spec.startsWith('node:')) {
            bad.push(`${path.relative(root, file)} → ${spec} (runs in the browser)`);
          }
        }
      }
      expect(bad).toEqual([]);
    });
  }

  it('client components of app/ import nothing of the server', () => {
    const bad: string[] = [];
    for (const file of sources(path.join(root, 'app'))) {
      if (!fs.readFileSync(file, 'utf8').startsWith("'use client'")) continue;
      for (const spec of importsOf(file)) if (/\/(store|filestore|device)\//.test(spec) || spec.includes('_lib/')) bad.push(`${path.relative(root, file)} → ${spec}`);
    }
    expect(bad).toEqual([]);
  });
});
