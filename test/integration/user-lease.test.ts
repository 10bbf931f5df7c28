import type { Redis } from 'ioredis';
import { LeaseLostError, LeaseUnavailableError, RedisUserLease } from '@mnemo/queue';
import { deletePrefix, testRedis, uniquePrefix } from '../support/redis';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('per-user lease on Redis', () => {
  const prefix = uniquePrefix('lease');
  let a: Redis;
  let b: Redis;
  beforeAll(() => {
    // Two connections stand for two worker processes.
    a = testRedis('lease-a');
    b = testRedis('lease-b');
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    a.disconnect();
    b.disconnect();
  });

  const leases = (options = { leaseMs: 5_000, waitMs: 5_000 }) => [new RedisUserLease(a, prefix, options), new RedisUserLease(b, prefix, options)] as const;

  it("runs one user's holders one at a time, with growing tokens; other users in parallel", async () => {
    const [first, second] = leases();
    let inside = 0;
    let most = 0;
    const tokens: number[] = [];
    const hold = (lease: RedisUserLease, user: string) =>
      lease.withLease(user, async ({ token }) => {
        inside++;
        most = Math.max(most, inside);
        tokens.push(token);
        await sleep(20);
        inside--;
      });
    await Promise.all(Array.from({ length: 10 }, (_, i) => hold(i % 2 ? first : second, 'alice')));
    expect(most).toBe(1);
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(new Set(tokens).size).toBe(10);

    const started = Date.now();
    await Promise.all([hold(first, 'carol'), hold(second, 'dave')]);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('gives up waiting after the bound with an error the job retries on', async () => {
    const [first] = leases();
    const [, impatient] = leases({ leaseMs: 5_000, waitMs: 150 });
    let release!: () => void;
    const holding = first.withLease('erin', () => new Promise<void>((resolve) => (release = resolve)));
    await sleep(20);
    await expect(impatient.withLease('erin', async () => 'never')).rejects.toThrow(LeaseUnavailableError);
    release();
    await holding;
  });

  it('renews a lease held longer than its length, and tells a holder that lost it', async () => {
    const [first, second] = leases({ leaseMs: 1_000, waitMs: 100 });
    await first.withLease('frank', async (lease) => {
      await sleep(1_500);
      // Renewed: still held after 1.5 leases, and nobody else got it.
      await expect(lease.assertHeld()).resolves.toBeUndefined();
      await expect(second.withLease('frank', async () => 'taken')).rejects.toThrow(LeaseUnavailableError);
      // Its key gone (expired under a long pause) and taken by another holder: lost.
      await a.del(`${prefix}:user-lease:frank`);
      const taken = await second.withLease('frank', async ({ token }) => token);
      expect(taken).toBeGreaterThan(lease.token);
      await expect(lease.assertHeld()).rejects.toThrow(LeaseLostError);
    });
  });

  it('keeps tokens growing when Redis loses the last one', async () => {
    const [first] = leases();
    const before = await first.withLease('gina', async ({ token }) => token);
    await a.del(`${prefix}:user-fence:gina`);
    const after = await first.withLease('gina', async ({ token }) => token);
    expect(after).toBeGreaterThan(before);
    expect(after / 1000).toBeGreaterThan(Date.now() - 60_000);
  });
});
