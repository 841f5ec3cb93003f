// Mutation testing of the pure money rules and the ledger's chart of accounts: `npm run test:mutation`.
// Runs only the jest `unit` project (test/unit/jest.stryker.config.mjs); too slow for CI, run it by hand.
// The HTML report is written to reports/mutation/mutation.html.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'test/unit/jest.stryker.config.mjs',
  },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/common/money/*.ts',
    'src/modules/contracts/contract-rules.ts',
    'src/modules/contracts/contract-state-machine.ts',
    'src/modules/money-movements/movement-state-machine.ts',
    'src/modules/money-movements/end-to-end-ref.ts',
    'src/modules/ledger/chart-of-accounts.ts',
    'src/modules/lessons/tranches.ts',
    'src/modules/lessons/weekly-netting.ts',
    'src/common/auth/access.ts',
  ],
  // Not copied to the sandbox: build output, local databases, the integration tests.
  ignorePatterns: ['/dist', '/.data', '/coverage', '/test/integration'],
  concurrency: 2,
  timeoutMS: 10000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
