// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * The dependency direction of house-style.md, enforced:
 *   main → server | agent | cli → services → domain ; adapters → domain/ports ; only main/ wires adapters.
 */
const why = {
  domain:
    'domain/ holds pure rules: it may import only zod, node:crypto and pure helpers (docs/adr/0002).',
  adapters:
    'only src/main/ (composition roots) may import concrete adapters; depend on a port in domain/ports.',
  server: 'only src/main/ and src/cli/ may import the server; services and domain stay HTTP-free.',
  agent:
    'the agent never imports the server, services or the store: it sees protocol/ and the Directory port only.',
  services:
    'services are use cases over ports; they must not reach into the HTTP layer, CLI or composition roots.',
};

const restrict = (patterns) => ({
  'no-restricted-imports': ['error', { patterns }],
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'coverage/**',
      '.test-run/**',
      'web/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', 'bin/*.js', 'scripts/*.mjs'],
          // scripts/*.mjs are plain JS (type-checked rules are off for them); more than 8 is fine.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 30,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Fastify plugins and hooks are async by contract even when they have nothing to await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'Use the Random port (crypto-strong, injectable in tests), never Math.random.',
        },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: restrict([
      {
        group: [
          '**/adapters/**',
          '**/services/**',
          '**/server/**',
          '**/agent/**',
          '**/cli/**',
          '**/main/**',
          '**/config/**',
        ],
        message: why.domain,
      },
      {
        group: [
          'fastify',
          'fastify/*',
          'kysely',
          'pg',
          'better-sqlite3',
          'nodemailer',
          'ldapts',
          'ws',
          'pino',
          '@node-rs/*',
          'node:fs',
          'node:fs/*',
          'node:net',
          'node:http',
          'node:child_process',
        ],
        message: why.domain,
      },
    ]),
  },
  {
    files: ['src/services/**/*.ts'],
    rules: restrict([
      { group: ['**/adapters/**'], message: why.adapters },
      {
        group: ['**/server/**', '**/cli/**', '**/main/**', '**/agent/**', 'fastify'],
        message: why.services,
      },
    ]),
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: restrict([
      {
        group: ['**/services/**', '**/server/**', '**/cli/**', '**/main/**', '**/agent/**'],
        message: why.adapters,
      },
    ]),
  },
  {
    files: ['src/server/**/*.ts'],
    rules: restrict([
      { group: ['**/adapters/**'], message: why.adapters },
      { group: ['**/cli/**', '**/main/**', '**/agent/**'], message: why.server },
    ]),
  },
  {
    files: ['src/agent/**/*.ts'],
    rules: restrict([
      {
        group: [
          '**/server/**',
          '**/services/**',
          '**/adapters/store/**',
          '**/cli/**',
          '**/main/**',
        ],
        message: why.agent,
      },
    ]),
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: restrict([
      {
        group: [
          '**/adapters/**',
          '**/services/**',
          '**/server/**',
          '**/agent/**',
          '**/cli/**',
          '**/main/**',
          '**/config/**',
        ],
        message:
          'protocol/ is shared by the server and the agent: it may import only zod, node:crypto and domain types.',
      },
    ]),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: restrict([{ group: ['**/adapters/**'], message: why.adapters }]),
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.node } },
  },
);
