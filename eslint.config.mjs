// The linter's rules: JavaScript's and TypeScript's recommended sets, React's rules of hooks for
// the pages, and Node's or the browser's globals where each kind of file runs. Run by `npm run
// lint` and by test/lint.test.ts, so `npm test` fails on a finding.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // What is built, installed or generated, and never written by hand.
    ignores: ['node_modules/', '.next/', 'dist/', 'data/', 'public/mathjax/', 'public/embed.js*', 'public/embed/', 'public/viewer3d/', 'bench/results/', 'test/e2e/screenshots/', 'next-env.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,mjs,cjs,js}'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Matching control characters is the point where this code does it: names, titles and
      // notes refuse or escape them, and the tests check that none get through.
      'no-control-regex': 'off',
    },
  },
  {
    // CommonJS on purpose: the JavaScript worker is loaded by a forked Node with require().
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // A test reads JSON answers whose shape it then asserts: typing each would say nothing more.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['app/**/*.tsx', 'embed/**/*.ts', 'public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['app/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
);
