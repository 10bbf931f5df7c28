import type { Config } from 'jest';

/**
 * Tiers. unit: plain functions, no services. integration: real Redis and
 * the embedded store, in-process. e2e: the built api and worker processes
 * over HTTP (npm test builds first). faults: killed processes, a stopped
 * Redis, an unavailable store (npm run test:faults).
 */
const shared = {
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper: { '^@mnemo/([a-z-]+)$': '<rootDir>/packages/$1/src' },
  testEnvironment: 'node',
} satisfies Config;

const config: Config = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{packages,apps}/*/src/**/*.test.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    // Slow fault injection against real processes: npm run test:faults (CI runs it too).
    { ...shared, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'] },
  ],
  // Two cores: leave one for Redis and the processes the e2e tests start.
  maxWorkers: 2,
};

export default config;
