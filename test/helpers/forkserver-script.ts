// Runs a Python script against workers/python/forkserver.py itself, under the system Python the
// workers run on: the script finds the module loaded as `fs`.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const FORKSERVER = path.resolve(__dirname, '../../workers/python/forkserver.py');

const LOAD = String.raw`
import importlib.util as _util, sys as _sys
_spec = _util.spec_from_file_location('forkserver', _sys.argv[1])
fs = _util.module_from_spec(_spec)
_spec.loader.exec_module(fs)
`;

/** The script's standard output. */
export function runWithForkServer(script: string): string {
  return execFileSync('/usr/bin/python3', ['-I', '-c', LOAD + script, FORKSERVER], { encoding: 'utf8' });
}
