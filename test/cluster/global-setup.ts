import { RedisCluster } from '../support/redis-cluster';

/**
 * Starts the cluster project's own three-master Redis Cluster once for all
 * its files. The nodes travel in MNEMO_CLUSTER_SUITE_NODES, which only this
 * project's use-cluster.ts reads, so the other projects (sharing the
 * workers) stay on the plain test Redis.
 */
export default async function globalSetup(): Promise<void> {
  const unsupported = await RedisCluster.unsupported();
  if (unsupported) {
    console.warn(`\nSkipping the Redis Cluster suite: ${unsupported}. Install Redis 7 (redis-server and redis-cli) to run it.\n`);
    process.env.MNEMO_CLUSTER_SUITE_NODES = 'unsupported';
    return;
  }
  const cluster = new RedisCluster();
  await cluster.start();
  (globalThis as { mnemoTestCluster?: RedisCluster }).mnemoTestCluster = cluster;
  process.env.MNEMO_CLUSTER_SUITE_NODES = cluster.nodes;
}
