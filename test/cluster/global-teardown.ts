import type { RedisCluster } from '../support/redis-cluster';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { mnemoTestCluster?: RedisCluster }).mnemoTestCluster?.stop();
}
