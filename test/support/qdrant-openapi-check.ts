import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** Qdrant's own OpenAPI document for the release compose runs, kept outside the project (see its README). */
export const QDRANT_OPENAPI_PATH = path.join(__dirname, '../../../shared/qdrant/openapi-v1.19.0.json');

type Operation = {
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
};

export interface QdrantViolation {
  method: string;
  path: string;
  /** The request's body, or the answer with this status. */
  what: 'request' | number;
  problem: string;
}

/**
 * OpenAPI 3.0 marks nullable fields with `nullable: true`; JSON Schema says
 * `null` is a type. Rewrites the whole document so ajv reads it as Qdrant means it.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, toJsonSchema(v)]));
  if (nullable !== true) return converted;
  if (Object.keys(converted).length === 0) return { type: 'null' };
  if (typeof converted.type === 'string') {
    const out: Record<string, unknown> = { ...converted, type: [converted.type, 'null'] };
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [converted, { type: 'null' }] };
}

/**
 * Holds the loopback Qdrant to Qdrant's published wire contract: every
 * request body it receives and every answer it gives is checked against the
 * document's schemas. Violations are collected (a check inside the server
 * cannot fail the test that caused it) for `assertNone`.
 */
export class QdrantOpenApiCheck {
  readonly violations: QdrantViolation[] = [];
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly routes: { method: string; pattern: RegExp; template: string; operation: Operation }[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();

  /** Null when the document is not there (a fresh clone outside CI): the caller says so. */
  static load(file = QDRANT_OPENAPI_PATH): QdrantOpenApiCheck | null {
    return existsSync(file) ? new QdrantOpenApiCheck(JSON.parse(readFileSync(file, 'utf8'))) : null;
  }

  private constructor(document: { paths: Record<string, Record<string, Operation>> }) {
    addFormats(this.ajv);
    // Qdrant's numeric widths are formats JSON Schema does not know; the types still hold them.
    for (const format of ['uint', 'uint8', 'uint32', 'uint64', 'int64', 'float', 'double', 'partial-date-time', 'binary']) {
      this.ajv.addFormat(format, true);
    }
    this.ajv.addSchema(toJsonSchema(document) as object, 'qdrant');
    for (const [template, item] of Object.entries(document.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const [method, operation] of Object.entries(item)) this.routes.push({ method: method.toUpperCase(), pattern, template, operation });
    }
    // A literal segment wins over a parameter: /points/scroll before /points/{id}.
    const params = (t: string) => (t.match(/\{/g) ?? []).length;
    this.routes.sort((a, b) => params(a.template) - params(b.template));
  }

  private route(method: string, path: string) {
    return this.routes.find((r) => r.method === method && r.pattern.test(path));
  }

  private validate(pointer: string, data: unknown): string | null {
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: pointer });
      this.compiled.set(pointer, validate);
    }
    return validate(data) ? null : this.ajv.errorsText(validate.errors);
  }

  private pointer(template: string, method: string, ...rest: string[]): string {
    const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
    return `qdrant#/paths/${escape(template)}/${method.toLowerCase()}/${rest.map(escape).join('/')}`;
  }

  checkRequest(method: string, path: string, body: unknown): void {
    const route = this.route(method, path);
    if (!route) return void this.violations.push({ method, path, what: 'request', problem: 'no such route in the document' });
    const content = route.operation.requestBody?.content;
    if (!content) {
      if (body !== undefined) this.violations.push({ method, path, what: 'request', problem: 'a body where the document has none' });
      return;
    }
    if (body === undefined) return;
    const problem = this.validate(this.pointer(route.template, method, 'requestBody', 'content', 'application/json', 'schema'), body);
    if (problem) this.violations.push({ method, path, what: 'request', problem });
  }

  checkAnswer(method: string, path: string, status: number, body: unknown): void {
    const route = this.route(method, path);
    if (!route) return; // reported with the request
    const responses = route.operation.responses ?? {};
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => responses[k]);
    if (!key) return void this.violations.push({ method, path, what: status, problem: `status ${status} is not documented` });
    if (!responses[key]!.content?.['application/json']) return;
    const problem = this.validate(this.pointer(route.template, method, 'responses', key, 'content', 'application/json', 'schema'), body);
    if (problem) this.violations.push({ method, path, what: status, problem });
  }

  assertNone(): void {
    if (this.violations.length === 0) return;
    const lines = this.violations.map((v) => `  ${v.method} ${v.path} ${v.what === 'request' ? 'request' : `→ ${v.what}`}: ${v.problem}`);
    throw new Error(`loopback Qdrant traffic that does not match Qdrant's OpenAPI document:\n${lines.join('\n')}`);
  }
}
