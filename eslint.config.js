// Lint runs on the TypeScript sources; type checking itself is tsc's job (npm run build / typecheck).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Enums are not erasable; use a const object.' }],
    },
  },
  {
    // Workers run on the data plane: they may import config/ and runtime/protocol/ only.
    files: ['workers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/runtime/*', '!**/runtime/protocol'], message: 'workers/ may import only runtime/protocol/ from runtime/.' }] }],
    },
  },
  {
    // The primary never imports the data plane: it spawns workers/main.ts by URL, not by import.
    // Plugin schemas, which both sides need, live in config/plugins/.
    files: ['runtime/**/*.ts'],
    ignores: ['runtime/protocol/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/workers/**'], message: 'runtime/ (the primary) imports nothing from workers/; shared code belongs in config/ or runtime/protocol/.' }] }],
    },
  },
  {
    // runtime/protocol/ is imported by workers: it must not pull in the rest of the primary or the data plane.
    files: ['runtime/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./(?!\\.\\./config/)', message: 'runtime/protocol/ imports only config/ and itself.' }] }],
    },
  },
  {
    // config/ is pure: it runs on any thread.
    files: ['config/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/runtime/**', '**/workers/**'], message: 'config/ is pure and imports neither runtime/ nor workers/.' }] }],
    },
  },
);
