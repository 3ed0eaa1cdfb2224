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
    // config/ is pure: it runs on any thread.
    files: ['config/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/runtime/**', '**/workers/**'], message: 'config/ is pure and imports neither runtime/ nor workers/.' }] }],
    },
  },
);
