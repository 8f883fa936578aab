// One linter for the project. Workflow files run in Temporal's deterministic sandbox,
// so the import rules of ../shared/style.md are enforced here rather than by review.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.spc/', 'output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'child_process', 'http', 'https', 'os', 'crypto'], message: 'Workflows are deterministic: no Node built-ins.' },
            { group: ['@azure/*'], message: 'Workflows import no Azure SDK; call an activity.' },
            { group: ['**/config', '**/config/*', '**/local-batch/*'], message: 'Workflows must not read config or talk to services.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/schemas/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@temporalio/*', '@azure/*', 'node:*'], message: 'Schemas import zod only.' }] }],
    },
  },
  {
    // Entry points outside the worker reach Azure through src/azure and Temporal through src/client.ts; importing
    // activities would pull their module state (pollers, caches) into the CLI.
    files: ['src/cli/**/*.ts', 'src/main-job.ts', 'src/client.ts', 'src/start-run.ts', 'src/doctor/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/activities', '**/activities/*'], message: 'The CLI and main job import no activities; Azure clients come from src/azure/clients.' }] }],
    },
  },
  {
    files: ['src/local-batch/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@temporalio/*', '**/workflows/*', '**/activities/*'], message: 'The local Batch service stands in for Azure: no Temporal.' }] }],
    },
  },
);
