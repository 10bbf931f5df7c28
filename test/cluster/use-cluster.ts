/**
 * Runs in each test file of the cluster project, before its imports: points
 * the test helpers (test/support/redis.ts) at the cluster. Jest gives each
 * file its own copy of process.env, so this reaches no other project.
 */
const nodes = process.env.MNEMO_CLUSTER_SUITE_NODES;
if (!nodes) throw new Error('the cluster project needs its globalSetup (test/cluster/global-setup.ts)');
process.env.MNEMO_TEST_REDIS_CLUSTER = nodes === 'unsupported' ? '' : nodes;
