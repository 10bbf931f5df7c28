import type { WriteLease } from '@mnemo/store';
import type { UserLock } from '../types';

/**
 * A user lock for one process (the eval script, tests of a single worker):
 * each user's holders run one after another. Across processes use the
 * Redis lock.
 */
export class InProcessUserLock implements UserLock {
  private readonly tails = new Map<string, Promise<unknown>>();
  private token = 0;

  async withLease<T>(userId: string, fn: (lease: WriteLease) => Promise<T>): Promise<T> {
    const previous = this.tails.get(userId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => fn({ token: ++this.token, assertHeld: async () => undefined }));
    this.tails.set(userId, run);
    try {
      return await run;
    } finally {
      if (this.tails.get(userId) === run) this.tails.delete(userId);
    }
  }
}
