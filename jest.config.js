/** Unit tests need nothing; integration tests get a real PostgreSQL (and Redis when REDIS_URL is set). */
const tsJest = ['ts-jest', { diagnostics: false }];
// The path aliases of tsconfig.json (`@common/money/money` is src/common/money/money.ts).
const moduleNameMapper = { '^@(config|infra|common|modules|bootstrap)/(.*)$': '<rootDir>/src/$1/$2' };

module.exports = {
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
      testEnvironment: 'node',
      moduleNameMapper,
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
      testEnvironment: 'node',
      moduleNameMapper,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
