import type http from 'node:http';
import { UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger, isMnemoError } from '@mnemo/core';
import { checkWebhookUrl, WebhookRepository, type WebhookJobData } from '@mnemo/queue';
import { createWebhookProcessor } from '../../apps/worker/src/webhook-processor';
import { LoopbackServer, type LoopbackReply } from '../support/loopback-server';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';

/** Answers 200 and remembers the Host header of every request. */
class Receiver extends LoopbackServer {
  readonly hosts: string[] = [];
  protected reply(req: http.IncomingMessage): LoopbackReply {
    this.hosts.push(String(req.headers.host));
    return { status: 200, body: { ok: true } };
  }
}

/** Issue 13, item 14: embedded-IPv4 IPv6 forms, DNS rebinding, and DNS failures at delivery time. */
describe('webhook URLs and where deliveries connect', () => {
  const policy = { allowedHosts: [], allowPrivate: false };

  it.each([
    'http://[::127.0.0.1]/x', // IPv4-compatible (deprecated ::/96)
    'http://[::7f00:1]/x',
    'http://[::ffff:127.0.0.1]/x', // IPv4-mapped
    'http://[::ffff:10.0.0.1]/x',
    'http://[64:ff9b::7f00:1]/x', // NAT64
    'http://[2002:7f00:1::]/x', // 6to4 around 127.0.0.1
    'http://[::]/x',
    'http://[::1]/x',
    'http://[fe80::1]/x',
    'http://[100::1]/x', // discard-only
    'http://[::169.254.169.254]/latest/meta-data',
  ])('refuses %s', async (url) => {
    await expect(checkWebhookUrl(url, policy)).rejects.toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(/resolves to a/) });
  });

  it('accepts a global unicast IPv6 address and a name resolving to public addresses, and names the addresses it checked', async () => {
    await expect(checkWebhookUrl('https://[2606:4700:4700::1111]/hook', policy)).resolves.toMatchObject({ addresses: ['2606:4700:4700::1111'] });
    const target = await checkWebhookUrl('https://hooks.example.com/x', policy, async () => ['93.184.216.34', '2606:2800:220:1::1']);
    expect(target.addresses).toEqual(['93.184.216.34', '2606:2800:220:1::1']);
    // One private answer among public ones refuses the name.
    await expect(checkWebhookUrl('https://hooks.example.com/x', policy, async () => ['93.184.216.34', '::ffff:127.0.0.1'])).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  describe('delivery', () => {
    const checked = new Receiver();
    const internal = new Receiver();
    const prefix = uniquePrefix('hookurl');
    let redis: Redis;
    let webhooks: WebhookRepository;
    let port: number;
    beforeAll(async () => {
      await checked.start('127.0.0.1');
      port = Number(new URL(checked.url).port);
      // A service inside the network, on the same port of another loopback address: where a rebinding answer would point.
      await internal.start('127.0.0.2', port);
      redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
      webhooks = new WebhookRepository(redis, prefix);
    });
    afterAll(async () => {
      await checked.stop();
      await internal.stop();
      redis.disconnect();
      await deletePrefix(prefix);
    });

    const logger = createLogger({ level: 'error', format: 'json', service: 'test' });
    logger.silent = true;
    const jobFor = async (url: string) => {
      const hook = await webhooks.create('0123456789ab', url, ['job.completed']);
      const logs: string[] = [];
      const data: WebhookJobData = { key_id: '0123456789ab', webhook_id: hook.id, delivery_id: 'whd_test', event: 'job.completed', body: { id: 'whd_test' } };
      return { job: { data, attemptsMade: 0, log: async (line: string) => void logs.push(line) } as unknown as Job<WebhookJobData>, logs };
    };

    it('connects to the address it checked: a second DNS answer (rebinding) is never asked for', async () => {
      const answers = [['127.0.0.1'], ['127.0.0.2']];
      const asked: string[] = [];
      const resolve = async (host: string) => {
        asked.push(host);
        return answers.shift() ?? ['127.0.0.2'];
      };
      const deliver = createWebhookProcessor({ webhooks, policy: { allowedHosts: [], allowPrivate: true }, timeoutMs: 5_000, logger, cipher: null, resolve });
      const { job } = await jobFor(`http://rebind.test:${port}/hook`);
      await expect(deliver(job)).resolves.toMatchObject({ status: 200 });
      expect(asked).toEqual(['rebind.test']);
      expect(checked.hosts).toEqual([`rebind.test:${port}`]);
      expect(internal.hosts).toEqual([]);
    });

    it('retries a DNS failure like a network error, and gives up for good only on a refused address', async () => {
      const failing = async () => {
        throw Object.assign(new Error('getaddrinfo EAI_AGAIN hooks.example.com'), { code: 'EAI_AGAIN' });
      };
      const deliver = createWebhookProcessor({ webhooks, policy, timeoutMs: 5_000, logger, cipher: null, resolve: failing });
      const { job, logs } = await jobFor('https://hooks.example.com/hook');
      const err = await deliver(job).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(UnrecoverableError);
      expect(isMnemoError(err)).toBe(false);
      expect(logs).toEqual([expect.stringMatching(/^attempt 1: DNS lookup failed \(EAI_AGAIN\)/)]);

      const refusing = createWebhookProcessor({ webhooks, policy, timeoutMs: 5_000, logger, cipher: null, resolve: async () => ['10.0.0.5'] });
      const refused = await jobFor('https://hooks.example.com/hook');
      await expect(refusing(refused.job)).rejects.toBeInstanceOf(UnrecoverableError);
    });
  });
});
