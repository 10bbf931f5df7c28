import request from 'supertest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildOpenApiDocument } from '../../apps/api/src/openapi/document';
import { OpenApiCheck } from '../support/openapi-check';
import { startStack, USER_KEY, type Stack } from '../support/stack';

jest.setTimeout(30_000);

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** Every method and path the app routes, through its routers. */
function routesOf(stack: Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) return Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path}`);
    return layer.handle?.stack ? routesOf(layer.handle.stack) : [];
  });
}

describe('the OpenAPI document', () => {
  let stack: Stack;
  beforeAll(async () => (stack = await startStack()));
  afterAll(() => stack.close());

  it('is a valid OpenAPI 3.1 document (the official schema, through a maintained validator)', () => {
    const lint = spawnSync(process.execPath, [path.join(__dirname, '../support/lint-openapi.mjs')], { input: JSON.stringify(buildOpenApiDocument()), encoding: 'utf8' });
    expect(JSON.parse(lint.stdout)).toEqual({ valid: true });
    expect(lint.status).toBe(0);
    // The linter itself refuses a broken document.
    const broken = spawnSync(process.execPath, [path.join(__dirname, '../support/lint-openapi.mjs')], { input: JSON.stringify({ openapi: '3.1.0', paths: {} }), encoding: 'utf8' });
    expect(JSON.parse(broken.stdout).valid).toBe(false);
  });

  it('covers every /v1 route and the health routes the app serves', () => {
    const documented = new Set(
      Object.entries(buildOpenApiDocument().paths as Record<string, object>).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
      ),
    );
    const inner = (stack.api as unknown as { router: { stack: Layer[] } }).router.stack;
    const served = routesOf(inner).filter((r) => /^\w+ \/(v1\/|healthz|readyz|mcp)/.test(r));
    expect(served.length).toBeGreaterThan(15);
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
  });

  it('is served at /openapi.json without a key, with a rendered reference at /docs from local assets', async () => {
    const doc = await request(stack.app).get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body).toMatchObject({ openapi: '3.1.0', info: { title: 'mnemo' } });
    const page = await request(stack.app).get('/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\//);
    const bundle = await request(stack.app).get('/docs/assets/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
  });

  it('catches an answer that does not match it: a wrong body, an undocumented status', async () => {
    const check = new OpenApiCheck();
    check.check('POST', '/v1/memories/search', 200, { user_bio: null, memories: [{ id: 'x' }] });
    check.check('GET', '/v1/memories/00000000-0000-4000-8000-000000000000', 418, { status: 'error' });
    check.check('GET', '/v1/categories', 200, { categories: [] });
    expect(check.violations).toEqual([
      expect.objectContaining({ path: '/v1/memories/search', status: 200, problem: expect.stringMatching(/must have required property 'memory'/) }),
      expect.objectContaining({ status: 418, problem: 'status 418 is not documented for GET /v1/memories/{id}' }),
    ]);
    expect(() => check.assertNone()).toThrow(/POST \/v1\/memories\/search → 200/);
  });

  it('holds the real answers of this stack (the check every integration test runs in close())', async () => {
    const res = await request(stack.app).get('/v1/categories').set('X-API-Key', USER_KEY);
    expect(res.status).toBe(200);
  });
});
