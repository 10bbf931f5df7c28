import type { Config } from 'jest';

/**
 * Tiers. unit: plain functions, no services. integration: real Redis and
 * the embedded store, in-process. e2e: the built api and worker processes
 * over HTTP (npm test builds first). faults: killed processes, a stopped
 * Redis, an unavailable store (npm run test:faults). cluster: the
 * integration files that touch Redis most, again on a three-master Redis
 * Cluster of the project's own (test/cluster/).
 */
const shared = {
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper: { '^@mnemo/([a-z-]+)$': '<rootDir>/packages/$1/src' },
  testEnvironment: 'node',
} satisfies Config;

/**
 * On the cluster: ingest end to end, job control and profiles (api-memories,
 * api-read), API keys, rate limits, user leases, the backlog's Lua scripts,
 * the model rate limiter and webhooks.
 */
const CLUSTER_FILES = ['api-memories', 'api-read', 'api-key-repository', 'rate-limits', 'user-lease', 'ingest-backlog', 'llm-request-limiter', 'webhooks'];

const config: Config = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{packages,apps}/*/src/**/*.test.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'cluster',
      testMatch: ['<rootDir>/test/cluster/**/*.test.ts', ...CLUSTER_FILES.map((name) => `<rootDir>/test/integration/${name}.test.ts`)],
      globalSetup: '<rootDir>/test/cluster/global-setup.ts',
      globalTeardown: '<rootDir>/test/cluster/global-teardown.ts',
      setupFiles: ['<rootDir>/test/cluster/use-cluster.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/cluster/skip-unsupported.ts'],
    },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    // Slow fault injection against real processes: npm run test:faults (CI runs it too).
    { ...shared, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'] },
  ],
  // Two cores: leave one for Redis and the processes the e2e tests start.
  maxWorkers: 2,
};

export default config;
