import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      '.data',
      'bench/results',
      'src/platform/db/types.generated.ts',
    ],
  },
  js.configs.recommended,
  { languageOptions: { globals: globals.node } },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['bench/**', 'test/**', 'scripts/**', 'src/main.ts', 'src/cli/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // The operations page's script runs in the browser (reports/ops, no build step).
    files: ['src/modules/reports/ops/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
);
