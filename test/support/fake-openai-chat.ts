import type http from 'node:http';
import { LoopbackServer, type LoopbackReply } from './loopback-server';

/**
 * A loopback OpenAI chat-completions server (POST /v1/chat/completions,
 * non-streaming) answering from a script, the way Ollama, vLLM or
 * llama.cpp's server would: a forced tool call when the request has tools,
 * else the JSON as message text (`response_format` json_schema or
 * json_object, or none). Every request is recorded.
 */
export type ChatReply =
  /** The answer as JSON: a tool call or the message text, as the request asks. */
  | { answer: unknown; finishReason?: 'stop' | 'length' }
  /** The answer computed from the request (labels the prompt assigned). */
  | { answerFor: (body: any) => unknown }
  /** Message text as is (not JSON, JSON in a code fence, reasoning first). */
  | { text: string }
  | { status: number; message: string; headers?: Record<string, string> };

export type Purpose = 'extract' | 'reconcile' | 'bio';

export interface RecordedChatRequest {
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** Which of mnemo's questions a request is: by its tool or schema name, else by its system prompt (plain JSON). */
function purposeOf(body: any): Purpose {
  const name: string | undefined = body.tools?.[0]?.function?.name ?? body.response_format?.json_schema?.name;
  const system: string = body.messages.find((m: any) => m.role === 'system')?.content ?? '';
  const said = name ?? (/^You extract/.test(system) ? 'record_memories' : /^You keep/.test(system) ? 'reconcile_memories' : 'write_bio');
  return said === 'record_memories' ? 'extract' : said === 'reconcile_memories' ? 'reconcile' : 'bio';
}

/** What each question gets unscripted: one fact from the first user message; every fact new; a short bio. */
function defaultAnswer(purpose: Purpose, body: any): unknown {
  const user: string = body.messages.find((m: any) => m.role === 'user').content;
  if (purpose === 'reconcile') {
    const facts: string[] = user.match(/^F\d+(?=:)/gm) ?? [];
    return { decisions: facts.map((fact) => ({ fact, action: 'new', target: null, supersedes: [] })) };
  }
  if (purpose === 'bio') return { bio: 'A person the assistant knows a little about.' };
  const [, id, text] = /^\[(\S+)\] user: (.*)$/m.exec(user) ?? [];
  return { facts: [{ memory: `User said ${text}`, message_ids: [id], type: 'semantic', event_time: null, categories: ['identity'] }] };
}

export class FakeOpenAiChat extends LoopbackServer {
  readonly requests: Record<Purpose, RecordedChatRequest[]> = { extract: [], reconcile: [], bio: [] };
  readonly scripts: Record<Purpose, ChatReply[]> = { extract: [], reconcile: [], bio: [] };
  /** Output modes this server refuses with a 400, as servers without structured output do. */
  readonly refuses = new Set<'json_schema' | 'tools'>();
  private calls = 0;

  reset(): void {
    for (const purpose of ['extract', 'reconcile', 'bio'] as const) {
      this.requests[purpose].length = 0;
      this.scripts[purpose].length = 0;
    }
    this.refuses.clear();
  }

  protected reply(req: http.IncomingMessage, url: URL, body: any): LoopbackReply {
    if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
      return { status: 404, body: { error: { message: `no route ${req.method} ${url.pathname}`, type: 'invalid_request_error' } } };
    }
    const purpose = purposeOf(body);
    this.requests[purpose].push({ headers: req.headers, body });
    if (body.response_format?.type === 'json_schema' && this.refuses.has('json_schema')) {
      return { status: 400, body: { error: { message: "response_format type 'json_schema' is not supported", type: 'invalid_request_error' } } };
    }
    if (body.tools && this.refuses.has('tools')) {
      return { status: 400, body: { error: { message: 'this model does not support tools', type: 'invalid_request_error' } } };
    }
    const reply = this.scripts[purpose].shift() ?? { answer: defaultAnswer(purpose, body) };
    if ('status' in reply) {
      return { status: reply.status, headers: reply.headers, body: { error: { message: reply.message, type: 'server_error', code: null, param: null } } };
    }
    if ('answerFor' in reply) return this.answer(body, { answer: reply.answerFor(body) });
    return this.answer(body, reply);
  }

  private answer(body: any, reply: { answer: unknown; finishReason?: 'stop' | 'length' } | { text: string }): LoopbackReply {
    const n = ++this.calls;
    const tool = body.tools?.[0]?.function?.name;
    const arguments_ = 'answer' in reply ? JSON.stringify(reply.answer) : reply.text;
    const message = tool
      ? { role: 'assistant', content: null, tool_calls: [{ id: `call_${n}`, type: 'function', function: { name: tool, arguments: arguments_ } }] }
      : { role: 'assistant', content: arguments_ };
    const finishReason = 'answer' in reply && reply.finishReason ? reply.finishReason : tool ? 'tool_calls' : 'stop';
    return {
      status: 200,
      body: {
        id: `chatcmpl-${n}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
        usage: { prompt_tokens: 400, completion_tokens: 90, total_tokens: 490 },
      },
    };
  }
}
