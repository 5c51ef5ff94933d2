import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// The library's layers, bottom to top (docs/architecture.md). A file may import from its own layer
// and the layers below it; an import that runs up a layer fails `npm run lint`.
const LAYERS = ['options', 'transaction', 'store', 'trails', 'instrumentation', 'queries', 'module', 'explorer', 'mcp'];
const SRC = 'libs/audit/src';

const layerRules = LAYERS.map((layer, index) => {
  const above = LAYERS.slice(index + 1);
  return {
    files: [`${SRC}/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...above.map((name) => `**/${name}/**`), '**/index', '../index', './index'],
              message: `the ${layer} layer may import only from itself and the layers below it (${LAYERS.slice(0, index).join(', ') || 'none'}); see docs/architecture.md`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'coverage/**', '.tmp/**', 'jest.config.js', '**/explorer/assets/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
);
