import { Router } from 'express';
import { z } from 'zod';
import { MnemoError } from '@mnemo/core';
import { checkWebhookUrl, MAX_WEBHOOKS_PER_KEY, WEBHOOK_EVENTS, type Webhook, type WebhookRepository, type WebhookUrlPolicy } from '@mnemo/queue';
import { principalOf } from '../middleware/authenticate';
import { parseOrThrow, requireJson } from '../middleware/validate';

export const webhookCreateSchema = z
  .object({
    url: z.string().trim().min(1).max(2_048),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length).default(['job.completed', 'job.failed']),
  })
  .strict();

/** A webhook as listed: never its secret. */
const view = ({ secret: _secret, ...rest }: Webhook) => rest;

/**
 * Webhooks belong to the API key that registers them and hear about the
 * jobs that key submits: job.completed, job.failed, and memory.created when
 * asked. The secret that signs deliveries is shown once, at creation.
 */
export function webhooksRouter({ webhooks, policy, jsonBody }: { webhooks: WebhookRepository; policy: WebhookUrlPolicy; jsonBody: import('express').RequestHandler }): Router {
  const router = Router();

  router.post('/v1/webhooks', requireJson, jsonBody, async (req, res) => {
    const { keyId } = principalOf(res.locals);
    const body = parseOrThrow(webhookCreateSchema, req.body);
    const { url } = await checkWebhookUrl(body.url, policy);
    if ((await webhooks.count(keyId)) >= MAX_WEBHOOKS_PER_KEY) {
      throw new MnemoError('VALIDATION_ERROR', `An API key may have at most ${MAX_WEBHOOKS_PER_KEY} webhooks; delete one first`);
    }
    const webhook = await webhooks.create(keyId, url.toString(), body.events);
    res.status(201).json({ ...webhook, note: 'Keep the secret: it signs every delivery (X-Mnemo-Signature) and is not shown again.' });
  });

  router.get('/v1/webhooks', async (_req, res) => {
    res.json({ webhooks: (await webhooks.list(principalOf(res.locals).keyId)).map(view) });
  });

  router.delete('/v1/webhooks/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!(await webhooks.delete(principalOf(res.locals).keyId, id))) throw new MnemoError('NOT_FOUND', `No webhook ${id}`);
    res.json({ success: true, deleted_id: id });
  });

  return router;
}
