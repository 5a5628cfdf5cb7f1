// Links made the way SageMathCell (and anyone with Python) makes them, to check we read them.
import { execFileSync } from 'node:child_process';

/** The z of a link: Python's zlib.compress of the UTF-8 code, URL-safe base64, padding stripped. */
export function pythonZ(code: string): string {
  const script = "import sys,zlib,base64;print(base64.urlsafe_b64encode(zlib.compress(sys.stdin.buffer.read())).decode().rstrip('='))";
  return execFileSync('/usr/bin/python3', ['-c', script], { input: code, encoding: 'utf8' }).trim();
}
