// ESLint for the whole repository, and the one place where the module map lives.
//
// ARCHITECTURE below is the layering and table ownership of issue 11 (the README's "Module map" section
// is printed from it by `node scripts/codemods/module-map.mjs`, and `npm run lint` fails when the two
// differ). eslint-plugin-boundaries turns it into import rules:
//   (a) a module imports only its own layer or lower ones (the ledger: no module at all);
//   (b) nobody imports another module's `*.repository.ts` or `*.entity.ts`: ask the owner's service;
//   plus: nothing outside src/config reads process.env, and no parseFloat / Number(...) on money.
// Type-aware linting is off on purpose: CI has two cores and `npm run typecheck` already runs tsc.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * Layers, lowest first. Each element is a folder of src/ (`modules/<name>` unless `path` says otherwise)
 * with the tables it owns (only its SQL writes them) and, for read models, the other modules' tables its
 * SQL may read (`reads`; anything else is read through the owner's service). An element may import its
 * own layer and the layers listed before it.
 */
export const ARCHITECTURE = [
  {
    layer: 'foundation',
    elements: {
      config: { path: 'src/config', owns: [] },
      infra: { path: 'src/infra', owns: ['outbox', 'job_executions'] },
    },
  },
  {
    layer: 'common',
    elements: { common: { path: 'src/common', owns: ['idempotency_keys', 'rate_limits'] } },
  },
  {
    layer: 'ledger',
    elements: {
      ledger: { owns: ['ledger_accounts', 'ledger_transactions', 'ledger_postings', 'ledger_balances', 'ledger_chain_heads', 'ledger_day_closes', 'ledger_day_balances', 'ledger_checkpoints', 'ledger_checkpoint_balances'] },
    },
  },
  {
    layer: 'registry',
    elements: {
      institutions: { owns: ['institutions', 'institution_history'] },
      licences: { owns: ['licences', 'licence_approvals', 'licence_transitions', 'district_review_settings'] },
      inspections: { owns: ['annual_inspections'] },
      'escrow-accounts': { owns: ['escrow_accounts', 'escrow_account_events'] },
      banks: { owns: ['banks', 'bank_events'] },
      policies: { owns: ['jurisdiction_policies'] },
      calendar: { owns: ['calendar_overrides'] },
      courses: { owns: ['courses'] },
      supervision: { owns: ['supervision_events', 'escrow_exceptions'] },
      'api-keys': { owns: ['api_keys'] },
    },
  },
  { layer: 'contracts', elements: { contracts: { owns: ['contracts'] } } },
  { layer: 'money-movements', elements: { 'money-movements': { owns: ['settlement_instructions', 'movement_sequences', 'settlement_delivery_attempts'] } } },
  {
    layer: 'use-cases',
    elements: {
      lessons: { owns: ['lessons', 'lesson_sessions', 'contract_releases'] },
      'bank-credits': { owns: ['bank_credits'] },
      statements: { owns: ['bank_statement_files', 'bank_statement_file_chunks', 'bank_statements', 'bank_statement_entries'] },
      // Scheduled bank deductions (issue 15): periodic release of time-based courses.
      deductions: { owns: ['deduction_schedules', 'deduction_periods', 'deduction_pauses'] },
      // Instalment debits under the payer's mandate (issue 15); also the one schedule read (deductions or instalments).
      instalments: { owns: ['instalment_plans', 'instalments', 'mandates'] },
      refunds: { owns: ['refunds'] },
      suspense: { owns: ['suspense_resolutions'] },
      // The closure report joins each processed contract's reference and its refund's state (a read model).
      closures: { owns: ['closures', 'closure_contracts', 'closure_plans', 'closure_transfers'], reads: ['contracts', 'refunds', 'reconciliation_account_days', 'reconciliation_exceptions'] },
    },
  },
  {
    // Reconciliation of statements against the ledger (issue 13): reads the use cases' records, so above them;
    // the audit (edges) shows its last reconciled days.
    layer: 'reconciliation',
    elements: {
      reconciliation: {
        owns: [
          'reconciliation_runs',
          'reconciliation_matches',
          'reconciliation_exceptions',
          'reconciliation_resolutions',
          'reconciliation_adjustments',
          'reconciliation_account_days',
        ],
        // The district summary and the statement check list a district's escrow accounts with their institutions.
        reads: ['escrow_accounts', 'institutions'],
      },
    },
  },
  {
    layer: 'edges',
    elements: {
      settlements: { owns: ['bank_webhook_receipts'] },
      // The escrow audit is a read model: one query over balances, accounts and institutions per district.
      audit: { owns: [], reads: ['ledger_accounts', 'ledger_postings', 'ledger_balances', 'ledger_day_closes', 'ledger_day_balances', 'ledger_checkpoints', 'ledger_checkpoint_balances', 'institutions', 'escrow_accounts', 'alerts'] },
      'ledger-api': { owns: [] },
      // The action log (issue 16): places each entry by the district of the institution it names.
      'action-log': { owns: ['action_log', 'action_log_heads'], reads: ['institutions'] },
      // Risk alerts (issue 16): evaluated from the balances, the movements and the supervision events (read models).
      alerts: {
        owns: ['alerts', 'alert_subscriptions', 'alert_deliveries', 'alert_delivery_attempts'],
        reads: ['ledger_balances', 'ledger_accounts', 'ledger_postings', 'institutions', 'settlement_instructions', 'supervision_events'],
      },
      diagnostics: { owns: ['queue_probes'] },
      'queue-admin': { owns: [] },
      health: { owns: [] },
      // The console, the parent's page (built assets) and the queue dashboard, served to browsers.
      web: { owns: [] },
    },
  },
  {
    // The composition root (src/main.ts, cli.ts, app.module.ts, bootstrap/): wires every module together
    // and is imported by none. Listed last, `src` catches every file not placed above; a folder of src/ or
    // src/modules/ missing from this table fails `npm run lint` through scripts/codemods/module-map.mjs.
    layer: 'app',
    elements: { app: { path: 'src', folders: ['src/bootstrap'], shown: 'src/*.ts, src/bootstrap', owns: [] } },
  },
];

export const elementPath = (name, element) => element.path ?? `src/modules/${name}`;

/** boundaries/elements: one descriptor per element (first match wins); the element's type is its layer. */
const elementDescriptors = ARCHITECTURE.flatMap(({ layer, elements }) =>
  Object.entries(elements).map(([name, element]) => ({ type: layer, pattern: elementPath(name, element), partialMatch: false })),
);

/** A layer may not import any layer after it (the ledger layer holds only the ledger). */
const layerPolicies = ARCHITECTURE.slice(0, -1).map(({ layer }, i) => ({
  from: { element: { type: layer } },
  disallow: { to: { element: { types: ARCHITECTURE.slice(i + 1).map((l) => l.layer) } } },
  message: `{{ from.element.path }} (layer "${layer}") imports {{ to.element.path }} (layer "{{ to.element.type }}"): layer "${layer}" may import only ${ARCHITECTURE.slice(0, i + 1).map((l) => `"${l.layer}"`).join(', ')} (see the module map in eslint.config.mjs)`,
}));

const MONEY_NAME = '/amount|price|balance|total|fee|money|sum|paid|refund|deposit/i';
const noNumberOnMoney = (what) => ({
  message: `Money is Money (decimal.js), never a JS number: do not call Number(...) on ${what}.`,
});

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'test/support/shims/**', '.stryker-tmp/**', 'reports/**', 'web/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Tooling files in plain JavaScript run on Node (jest.config.js is CommonJS).
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: { module: 'writable', require: 'readonly', process: 'readonly', console: 'readonly', __dirname: 'readonly' },
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { sourceType: 'module' } },
    rules: {
      // The code base validates untyped input at the edges with explicit `any` casts; tsc --strict guards the rest.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // NestJS modules are empty decorated classes by design.
      '@typescript-eslint/no-extraneous-class': 'off',
      'no-restricted-globals': ['error', { name: 'parseFloat', message: 'Money is Money (decimal.js): never parseFloat.' }],
      'no-restricted-properties': [
        'error',
        { object: 'Number', property: 'parseFloat', message: 'Money is Money (decimal.js): never parseFloat.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: `CallExpression[callee.name='Number'] > Identifier.arguments[name=${MONEY_NAME}]`,
          ...noNumberOnMoney('a money-named value'),
        },
        {
          selector: `CallExpression[callee.name='Number'] > MemberExpression.arguments > Identifier.property[name=${MONEY_NAME}]`,
          ...noNumberOnMoney('a money-named property'),
        },
      ],
    },
  },
  {
    // Configuration is read in one place: src/config. Everything else receives AppConfig.
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Number', property: 'parseFloat', message: 'Money is Money (decimal.js): never parseFloat.' },
        { object: 'process', property: 'env', message: 'Only src/config reads process.env; inject AppConfig instead.' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': elementDescriptors,
      'boundaries/files': [
        { category: 'repository', pattern: '**/*.repository.ts' },
        { category: 'entity', pattern: '**/*.entity.ts' },
      ],
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import', 'require'],
      'boundaries/legacy-templates': false,
      'import/resolver': {
        typescript: { project: './tsconfig.json', alwaysTryTypes: true },
        node: { extensions: ['.ts', '.js'] },
      },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'allow',
          policies: [
            ...layerPolicies,
            {
              // Internal imports (inside one element) are not checked, so any match here crosses modules.
              disallow: { to: { file: { categories: ['repository', 'entity'] } } },
              message:
                "{{ from.element.path }} imports {{ to.element.path }}/{{ to.element.fileInternalPath }}: another module's repository or entity; call the owning module's service instead (one owner per table)",
            },
          ],
        },
      ],
      // A folder of src/ that is not in ARCHITECTURE is a module nobody placed in a layer.
      'boundaries/no-unknown-files': 'error',
    },
  },
);
