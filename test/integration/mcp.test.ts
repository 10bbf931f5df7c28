import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MEMSYNC_EXAMPLE, OTHER_KEY, SERVICE_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

jest.setTimeout(60_000);

type ToolResult = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, any> };

describe('MCP over Streamable HTTP at /mcp', () => {
  let stack: Stack;
  let server: Server;
  let base: string;
  const clients: Client[] = [];
  beforeAll(async () => {
    stack = await startStack();
    await stack.startWorker();
    server = await new Promise<Server>((resolve) => {
      const s = http.createServer(stack.app).listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await new Promise((resolve) => server.close(resolve));
    await stack.close();
  });

  async function connect(key: string, scheme: 'bearer' | 'x-api-key' = 'bearer'): Promise<Client> {
    const client = new Client({ name: 'mnemo-test', version: '1.0.0' });
    const headers = scheme === 'bearer' ? { Authorization: `Bearer ${key}` } : { 'X-API-Key': key };
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } }));
    clients.push(client);
    return client;
  }
  const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ToolResult;

  it('lists the eight tools, each with an input schema and a description for a model', async () => {
    const { tools } = await (await connect(USER_KEY)).listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['add_memory', 'delete_memory', 'get_job', 'get_memory', 'get_profile', 'list_memories', 'search_memories', 'update_memory']);
    for (const tool of tools) {
      expect(tool.description!.length).toBeGreaterThan(20);
      expect(tool.inputSchema.type).toBe('object');
    }
    const search = tools.find((t) => t.name === 'search_memories')!;
    expect(search.inputSchema.required).toEqual(['query']);
  });

  it('adds a statement and a conversation, waits for the job, then finds them by search', async () => {
    const alice = await connect(USER_KEY);
    const added = await call(alice, 'add_memory', { text: 'I work as a nurse at Oslo University Hospital.', wait_seconds: 20 });
    expect(added.isError).toBeFalsy();
    expect(added.content[0]!.text).toMatch(/^Job \S+ completed: [1-9]\d* created/);
    expect(added.structuredContent).toMatchObject({ status: 'completed' });

    const queued = await call(alice, 'add_memory', { messages: MEMSYNC_EXAMPLE.messages, agent_id: 'career-advisor-bot', thread_id: 'mcp-conv' });
    expect(queued.content[0]!.text).toMatch(/^Accepted as job (\S+);/);
    const jobId = queued.structuredContent!.job_id as string;
    let job: ToolResult;
    do job = await call(alice, 'get_job', { job_id: jobId });
    while (/is (waiting|active|prioritized)/.test(job.content[0]!.text));
    expect(job.content[0]!.text).toMatch(/completed/);

    const found = await call(alice, 'search_memories', { query: 'Where does the user work?', limit: 5 });
    expect(found.isError).toBeFalsy();
    expect(found.content[0]!.text).toMatch(/^1\. .*(hospital|Google)/im);
    expect(found.structuredContent!.memories.length).toBeGreaterThan(0);

    const listed = await call(alice, 'list_memories', { page_size: 50 });
    expect(listed.content[0]!.text).toMatch(/^Page 1 of 1 \(\d+ memories\):/);
    const profile = await call(alice, 'get_profile', {});
    expect(profile.content[0]!.text).toMatch(/career/);

    const id = found.structuredContent!.memories[0].id as string;
    expect((await call(alice, 'get_memory', { memory_id: id })).content[0]!.text).toContain(`(id ${id})`);
    const updated = await call(alice, 'update_memory', { memory_id: id, categories: ['career', 'health'] });
    expect(updated.structuredContent!.categories).toEqual(['career', 'health']);
    expect((await call(alice, 'delete_memory', { memory_id: id })).content[0]!.text).toBe(`Deleted memory ${id}.`);
    const gone = await call(alice, 'get_memory', { memory_id: id });
    expect(gone).toMatchObject({ isError: true, structuredContent: { error: { code: 'NOT_FOUND' } } });
  });

  it("reaches only the caller's user: another user's memory id is not found", async () => {
    const alice = await connect(USER_KEY);
    const mine = (await call(alice, 'list_memories', {})).structuredContent!.data[0].id as string;
    const bob = await connect(OTHER_KEY, 'x-api-key');
    for (const [tool, args] of [
      ['get_memory', { memory_id: mine }],
      ['update_memory', { memory_id: mine, memory: 'Hijacked' }],
      ['delete_memory', { memory_id: mine }],
    ] as const) {
      expect(await call(bob, tool, args)).toMatchObject({ isError: true, content: [{ text: `NOT_FOUND: No memory ${mine}` }] });
    }
    expect((await call(bob, 'search_memories', { query: 'hospital nurse Google' })).structuredContent!.memories).toEqual([]);
    // A user key naming another user is refused as on /v1; a service key may.
    expect(await call(bob, 'list_memories', { user_id: 'alice' })).toMatchObject({ isError: true, structuredContent: { error: { code: 'FORBIDDEN' } } });
    const service = await connect(SERVICE_KEY);
    expect((await call(service, 'list_memories', { user_id: 'alice' })).structuredContent!.data.length).toBeGreaterThan(0);
    // The session survives every refusal.
    expect((await bob.listTools()).tools.length).toBe(8);
  });

  it("answers bad arguments as tool errors with the API's code, and keeps the session", async () => {
    const alice = await connect(USER_KEY);
    expect(await call(alice, 'add_memory', {})).toMatchObject({ isError: true, content: [{ text: 'VALIDATION_ERROR: give exactly one of text (a statement) or messages (a conversation)' }] });
    expect(await call(alice, 'update_memory', { memory_id: '00000000-0000-4000-8000-000000000000' })).toMatchObject({
      isError: true,
      structuredContent: { error: { code: 'VALIDATION_ERROR' } },
    });
    const invalid = await call(alice, 'search_memories', { query: 42 });
    expect(invalid.isError).toBe(true);
    expect((await alice.listTools()).tools.length).toBe(8);
  });

  it('refuses a bad key with 401 before any MCP exchange', async () => {
    const client = new Client({ name: 'mnemo-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { Authorization: 'Bearer not-a-key-of-anyone-at-all' } } });
    await expect(client.connect(transport)).rejects.toThrow(/401|AUTHENTICATION_ERROR|Invalid or revoked/);
    const raw = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ status: 'error', error: { code: 'AUTHENTICATION_ERROR' } });
    expect((await fetch(`${base}/mcp`, { headers: { 'x-api-key': USER_KEY } })).status).toBe(405);
  });
});
