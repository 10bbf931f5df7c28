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

export class FakeAnthropic extends LoopbackServer {
  readonly requests: RecordedMessageRequest[] = [];
  readonly script: ScriptedReply[] = [];

  protected reply(req: http.IncomingMessage, _url: URL, body: any): LoopbackReply {
    this.requests.push({ headers: req.headers, body });
    const n = this.requests.length;
    const reply = this.script.shift() ?? { toolInput: { facts: [] } };
    if ('status' in reply) {
      return { status: reply.status, headers: reply.headers, body: { type: 'error', error: { type: reply.errorType, message: reply.message } } };
    }
    return {
      status: 200,
      body: {
        id: `msg_${n}`,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [{ type: 'tool_use', id: `toolu_${n}`, name: body.tool_choice?.name ?? 'tool', input: reply.toolInput }],
        stop_reason: reply.stopReason ?? 'tool_use',
        stop_sequence: null,
        // The first call writes the prompt cache, later ones read it.
        usage: {
          input_tokens: 350,
          output_tokens: 120,
          cache_creation_input_tokens: n === 1 ? 1100 : 0,
          cache_read_input_tokens: n === 1 ? 0 : 1100,
        },
      },
    };
  }
}
