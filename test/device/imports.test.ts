// Reading a Python cell's imports from its text, to choose the light zygote (nothing preloaded)
// or the full one: only speed depends on it, so anything unclear counts against the light one.
import { describe, expect, it } from 'vitest';
import { importedModules, importsOnly } from '../../device/imports';

const STDLIB = new Set(['math', 'os', 'sys', 'json', 'time', 'collections']);

describe('importedModules', () => {
  it('names the top-level module of every form of import', () => {
    expect(importedModules('print(1 + 1)')).toEqual([]);
    expect(importedModules('import math\nprint(math.pi)')).toEqual(['math']);
    expect(importedModules('import os.path, sys as s')).toEqual(['os', 'sys']);
    expect(importedModules('from math import sqrt, pi')).toEqual(['math']);
    expect(importedModules('from os import (path,\n    sep)')).toEqual(['os']);
    expect(importedModules('from matplotlib import pyplot as plt')).toEqual(['matplotlib']);
    expect(importedModules('def f():\n    import numpy as np\n    return np')).toEqual(['numpy']);
    expect(importedModules('x = 1; import json')).toEqual(['json']);
    expect(importedModules('from . import helper')).toEqual(['.']);
  });

  it('counts a mention in a comment or a string too', () => {
    expect(importedModules('# import numpy\nprint(1)')).toEqual(['numpy']);
    expect(importedModules('print("from sympy import x")')).toEqual(['sympy']);
  });

  it('cannot tell for imports the text does not show', () => {
    for (const code of ['m = __import__("numpy")', 'import importlib\nimportlib.import_module("numpy")', 'exec("import numpy")', 'eval(s)', 'import \\\n    numpy', 'import builtins', 'import pickle']) {
      expect(importedModules(code), code).toBeNull();
    }
  });
});

describe('importsOnly', () => {
  it('is true only when every import is in the set', () => {
    expect(importsOnly('print(1 + 1)', STDLIB)).toBe(true);
    expect(importsOnly('import math, os.path\nfrom collections import Counter', STDLIB)).toBe(true);
    expect(importsOnly('import math\nimport numpy', STDLIB)).toBe(false);
    expect(importsOnly('from . import helper', STDLIB)).toBe(false);
    expect(importsOnly('exec("1")', STDLIB)).toBe(false);
    // A word that only contains a dynamic one is no import.
    expect(importsOnly('executor = 1\nevaluate = 2\nprint(executor + evaluate)', STDLIB)).toBe(true);
  });
});
