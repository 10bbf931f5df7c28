import type http from 'node:http';
import { LoopbackServer, type LoopbackReply } from './loopback-server';

/**
 * A loopback Messages API (POST /v1/messages) that answers from a script:
 * tool calls with given input, errors with status and headers, truncated
 * answers. Every request is recorded with its headers and body.
 */
export type ScriptedReply =
  | { toolInput: unknown; stopReason?: 'tool_use' | 'max_tokens' }
  | { status: number; errorType: string; message: string; headers?: Record<string, string> };

export interface RecordedMessageRequest {
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** One fact per conversation, from its first message: what a batch answers by default. */
function defaultToolInput(params: any) {
  const transcript: string = params.messages[0].content;
  const [, id, text] = /^\[(\S+)\] user: (.*)$/m.exec(transcript) ?? [];
  return { facts: [{ memory: `User said ${text}`, message_ids: [id], type: 'semantic', event_time: null, categories: ['identity'] }] };
}

export class FakeAnthropic extends LoopbackServer {
  readonly requests: RecordedMessageRequest[] = [];
  readonly script: ScriptedReply[] = [];
  /** Message Batches created, with their entries. */
  readonly batches: { id: string; requests: { custom_id: string; params: any }[]; polls: number }[] = [];
  /**
   * Batch entries this picks error, so their conversations fall back to the
   * Messages API. Chosen by the entry, not by its place in a batch: how the
   * conversations are split into batches depends on timing.
   */
  erroredWhen: (entry: { custom_id: string; params: any }) => boolean = () => false;
  /** Bio requests (the write_bio tool) are kept apart, so profile rebuilds never take extraction answers. */
  readonly bioRequests: RecordedMessageRequest[] = [];
  readonly bioScript: ScriptedReply[] = [];
  /** Reconciliation requests (the reconcile_memories tool), also kept apart; unscripted, every fact is new. */
  readonly reconcileRequests: RecordedMessageRequest[] = [];
  readonly reconcileScript: ScriptedReply[] = [];

  private message(n: number, model: string, toolName: string, input: unknown, stopReason = 'tool_use') {
    return {
      id: `msg_${n}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'tool_use', id: `toolu_${n}`, name: toolName, input }],
      stop_reason: stopReason,
      stop_sequence: null,
      // The first call writes the prompt cache, later ones read it.
      usage: { input_tokens: 350, output_tokens: 120, cache_creation_input_tokens: n === 1 ? 1100 : 0, cache_read_input_tokens: n === 1 ? 0 : 1100 },
    };
  }

  private batchReply(req: http.IncomingMessage, url: URL, body: any): LoopbackReply {
    if (req.method === 'POST') {
      const batch = { id: `msgbatch_${this.batches.length + 1}`, requests: body.requests, polls: 0 };
      this.batches.push(batch);
      return { status: 200, body: this.batchView(batch, 'in_progress') };
    }
    const [, id, results] = /^\/v1\/messages\/batches\/([^/]+)(\/results)?$/.exec(url.pathname) ?? [];
    const batch = this.batches.find((b) => b.id === id);
    if (!batch) return { status: 404, body: { type: 'error', error: { type: 'not_found_error', message: `no batch ${id}` } } };
    if (!results) {
      // In progress at the first look, ended after: the worker has to poll.
      batch.polls++;
      return { status: 200, body: this.batchView(batch, batch.polls > 1 ? 'ended' : 'in_progress') };
    }
    const lines = batch.requests.map((entry, i) =>
      this.erroredWhen(entry)
        ? { custom_id: entry.custom_id, result: { type: 'errored', error: { type: 'error', error: { type: 'overloaded_error', message: 'overloaded' } } } }
        : { custom_id: entry.custom_id, result: { type: 'succeeded', message: this.message(i + 2, entry.params.model, entry.params.tool_choice.name, defaultToolInput(entry.params)) } },
    );
    return { status: 200, raw: lines.map((l) => JSON.stringify(l)).join('\n'), headers: { 'content-type': 'application/binary' } };
  }

  private batchView(batch: { id: string; requests: unknown[] }, status: 'in_progress' | 'ended') {
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: status,
      request_counts: { processing: status === 'ended' ? 0 : batch.requests.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      created_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      ended_at: status === 'ended' ? new Date().toISOString() : null,
      cancel_initiated_at: null,
      archived_at: null,
      results_url: status === 'ended' ? `${this.url}/v1/messages/batches/${batch.id}/results` : null,
    };
  }

  protected reply(req: http.IncomingMessage, url: URL, body: any): LoopbackReply {
    if (url.pathname.startsWith('/v1/messages/batches')) return this.batchReply(req, url, body);
    if (body.tool_choice?.name === 'write_bio') {
      this.bioRequests.push({ headers: req.headers, body });
      const reply = this.bioScript.shift() ?? { toolInput: { bio: 'A person the assistant knows a little about.' } };
      if ('status' in reply) return { status: reply.status, body: { type: 'error', error: { type: reply.errorType, message: reply.message } } };
      return { status: 200, body: this.message(1000 + this.bioRequests.length, body.model, 'write_bio', reply.toolInput) };
    }
    if (body.tool_choice?.name === 'reconcile_memories') {
      this.reconcileRequests.push({ headers: req.headers, body });
      const facts: string[] = body.messages[0].content.match(/^F\d+(?=:)/gm) ?? [];
      const reply = this.reconcileScript.shift() ?? { toolInput: { decisions: facts.map((fact) => ({ fact, action: 'new', target: null, supersedes: [] })) } };
      if ('status' in reply) return { status: reply.status, body: { type: 'error', error: { type: reply.errorType, message: reply.message } } };
      return { status: 200, body: this.message(2000 + this.reconcileRequests.length, body.model, 'reconcile_memories', reply.toolInput) };
    }
    this.requests.push({ headers: req.headers, body });
    const n = this.requests.length;
    const reply = this.script.shift() ?? { toolInput: defaultToolInput(body) };
    if ('status' in reply) {
      return { status: reply.status, headers: reply.headers, body: { type: 'error', error: { type: reply.errorType, message: reply.message } } };
    }
    return { status: 200, body: this.message(n, body.model, body.tool_choice?.name ?? 'tool', reply.toolInput, reply.stopReason) };
  }
}
