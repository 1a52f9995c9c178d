// ESLint with typescript-eslint's type-aware rules, over everything TypeScript in the repository.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', '.scratch/**', '.wwebjs_auth/**', '.wwebjs_cache/**', 'public/**', '**/*.cjs', '**/*.mjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe() and it() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // `typeof import('x')` types a module loaded lazily with require(): allowed.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // An adapter over a synchronous driver (better-sqlite3) implements an async port with
      // async methods on purpose: a throw becomes a rejection, as the PostgreSQL adapter's would.
      '@typescript-eslint/require-await': 'off',
      // Unused arguments named with a leading underscore document a signature.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A timer or subscription made after the closures that clear it cannot be a const there.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
);
