import { UnrecoverableError, type Job } from 'bullmq';
import { isMnemoError, openFields, type Logger, type PayloadCipher } from '@mnemo/core';
import {
  checkWebhookUrl,
  signWebhook,
  WEBHOOK_QUEUE,
  WebhookHostUnresolved,
  type ResolveHost,
  type WebhookJobData,
  type WebhookRepository,
  type WebhookTarget,
  type WebhookUrlPolicy,
} from '@mnemo/queue';
import { postToTarget } from './webhook-post';

export interface WebhookProcessorDeps {
  webhooks: WebhookRepository;
  policy: WebhookUrlPolicy;
  timeoutMs: number;
  logger: Logger;
  /** Opens bodies sealed with MNEMO_PAYLOAD_KEY; null: bodies are plain. */
  cipher: PayloadCipher | null;
  /** Host name lookup for the URL check; the system resolver unless a test gives another. */
  resolve?: ResolveHost;
}

/**
 * Delivers one webhook event: signed POST, no redirects followed, bounded
 * by a timeout. Anything but a 2xx fails the attempt and BullMQ retries it
 * with backoff; each attempt's outcome goes into the job's log, which Bull
 * Board shows.
 */
export function createWebhookProcessor({ webhooks, policy, timeoutMs, logger, cipher, resolve }: WebhookProcessorDeps) {
  return async (job: Job<WebhookJobData>): Promise<{ status: number; ms: number } | { skipped: string }> => {
    let data: WebhookJobData;
    try {
      data = WEBHOOK_QUEUE.schema.parse(openFields(cipher, job.data as unknown as Record<string, unknown>, WEBHOOK_QUEUE.sealedFields));
    } catch (err) {
      // A missing or wrong payload key, or a malformed job: no retry can read it.
      throw new UnrecoverableError(`cannot read the delivery: ${err instanceof Error ? err.message : String(err)}`);
    }
    const attempt = job.attemptsMade + 1;
    const hook = await webhooks.get(data.key_id, data.webhook_id);
    if (!hook) {
      await job.log(`attempt ${attempt}: webhook ${data.webhook_id} was deleted; not delivered`);
      return { skipped: 'webhook deleted' };
    }
    let target: WebhookTarget;
    try {
      target = await checkWebhookUrl(hook.url, policy, resolve);
    } catch (err) {
      if (err instanceof WebhookHostUnresolved) {
        // A resolver blip is a network error like a refused connection: retried with backoff.
        await job.log(`attempt ${attempt}: DNS lookup failed (${err.reason})`);
        throw new Error(`webhook delivery failed: DNS lookup failed (${err.reason})`);
      }
      // The URL (or what it resolves to) is no longer allowed: retrying will not change that.
      const reason = isMnemoError(err) ? err.message : String(err);
      await job.log(`attempt ${attempt}: refused: ${reason}`);
      throw new UnrecoverableError(`webhook URL refused: ${reason}`);
    }
    const body = JSON.stringify(data.body);
    const timestamp = Math.floor(Date.now() / 1000);
    const started = performance.now();
    let status: number;
    try {
      status = await postToTarget(
        target,
        {
          'content-type': 'application/json',
          'user-agent': 'mnemo-webhooks/1',
          'x-mnemo-event': data.event,
          'x-mnemo-delivery': data.delivery_id,
          'x-mnemo-signature': signWebhook(hook.secret, timestamp, body),
        },
        body,
        timeoutMs,
      );
    } catch (err) {
      const ms = Math.round(performance.now() - started);
      const code = (err as NodeJS.ErrnoException).code;
      const reason = code === 'ABORT_ERR' ? `timed out after ${timeoutMs} ms` : (code ?? (err as Error).message);
      await job.log(`attempt ${attempt}: no answer (${reason}) after ${ms} ms`);
      throw new Error(`webhook delivery failed: ${reason}`);
    }
    const ms = Math.round(performance.now() - started);
    await job.log(`attempt ${attempt}: HTTP ${status} in ${ms} ms`);
    if (status >= 200 && status < 300) return { status, ms };
    logger.debug('webhook delivery refused by receiver', { delivery_id: data.delivery_id, status, attempt });
    throw new Error(status >= 300 && status < 400 ? `receiver answered ${status}; redirects are not followed` : `receiver answered ${status}`);
  };
}
