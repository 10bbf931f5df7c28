import type { Config } from 'jest';

/**
 * Three tiers. unit: plain functions, no services. integration: real Redis
 * and the embedded store, in-process. e2e: the built api and worker
 * processes over HTTP (npm test builds first).
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
  ],
  // Two cores: leave one for Redis and the processes the e2e tests start.
  maxWorkers: 2,
};

export default config;
