import type { Redis } from 'ioredis';

/** How long a replica count is trusted: one INFO a second per process, not one per request. */
const FRESH_MS = 1_000;

/** The replicas connected to the primary now (INFO replication), read at most once a second. */
export class ConnectedReplicas {
  private count = 0;
  private readAt = -Infinity;
  private pending: Promise<number> | null = null;

  /** `primary` gives the connection to ask: on a Cluster, the master holding the queue's slot. */
  constructor(private readonly primary: () => Promise<Pick<Redis, 'info'>>) {}

  async read(now = Date.now()): Promise<number> {
    if (now - this.readAt < FRESH_MS) return this.count;
    this.pending ??= this.primary()
      .then((redis) => redis.info('replication'))
      .then((info) => {
        this.count = parseConnectedReplicas(info);
        this.readAt = Date.now();
        return this.count;
      })
      .finally(() => (this.pending = null));
    return this.pending;
  }
}

export function parseConnectedReplicas(info: string): number {
  const match = /^connected_slaves:(\d+)/m.exec(info);
  return match ? Number(match[1]) : 0;
}
