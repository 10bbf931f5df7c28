import type { RequestHandler } from 'express';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { buildOpenApiDocument } from '../../apps/api/src/openapi/document';

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };

export interface Violation {
  method: string;
  path: string;
  status: number;
  problem: string;
}

/**
 * Holds the API's answers to its OpenAPI document: every answer of a
 * documented route must have a documented status and, for JSON, a body the
 * document's schema accepts. Violations are collected (an answer cannot fail
 * the test that caused it from inside the server) and `assertNone` throws
 * them, naming route, status and problem.
 */
export class OpenApiCheck {
  readonly violations: Violation[] = [];
  private readonly document = buildOpenApiDocument();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly routes: { method: string; pattern: RegExp; template: string; operation: Operation }[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    addFormats(this.ajv);
    this.ajv.addSchema(this.document, 'openapi');
    const paths = this.document.paths as Record<string, Record<string, Operation>>;
    for (const [template, item] of Object.entries(paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`, 'i');
      for (const [method, operation] of Object.entries(item)) this.routes.push({ method: method.toUpperCase(), pattern, template, operation });
    }
    // /v1/memories/batch and /v1/memories/search before /v1/memories/{id}.
    this.routes.sort((a, b) => Number(a.template.includes('{')) - Number(b.template.includes('{')));
  }

  /** Mounted first in the test app: sees every JSON body the app sends. */
  readonly middleware: RequestHandler = (req, res, next) => {
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      this.check(req.method, req.path, res.statusCode, body);
      return send(body);
    };
    next();
  };

  check(method: string, path: string, status: number, body: unknown): void {
    const route = this.routes.find((r) => r.method === method && r.pattern.test(path));
    if (!route) return; // undocumented on purpose: the dashboard, /metrics, the document itself
    const response = route.operation.responses?.[String(status)];
    if (!response) return void this.violations.push({ method, path, status, problem: `status ${status} is not documented for ${method} ${route.template}` });
    const pointer = `openapi#/paths/${route.template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`;
    if (!response.content?.['application/json']) return void this.violations.push({ method, path, status, problem: 'a JSON body where the document has none' });
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: pointer });
      this.compiled.set(pointer, validate);
    }
    if (!validate(JSON.parse(JSON.stringify(body)))) {
      this.violations.push({ method, path, status, problem: this.ajv.errorsText(validate.errors, { dataVar: 'body' }) });
    }
  }

  assertNone(): void {
    if (this.violations.length === 0) return;
    const lines = this.violations.map((v) => `  ${v.method} ${v.path} → ${v.status}: ${v.problem}`);
    throw new Error(`answers that do not match the OpenAPI document:\n${lines.join('\n')}`);
  }
}
