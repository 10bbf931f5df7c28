import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { MnemoProcess, ROOT, startProcess, startServices, type Services } from '../support/processes';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(120_000);

const CLI = path.join(ROOT, 'apps/cli/dist/main.js');
const INSPECTOR = path.join(ROOT, 'node_modules/@modelcontextprotocol/inspector-cli/build/index.js');
type ToolResult = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, any> };

/** The MCP Inspector's CLI, an MCP client written by others: its JSON answer, or its failure with output. */
async function inspector(args: string[], env: Record<string, string> = {}): Promise<any> {
  // From a directory one below a package.json: inspector-cli 1.0.3 checks "../package.json" against the working
  // directory but imports it relative to itself, and fails in any other directory.
  const child = spawn(process.execPath, [INSPECTOR, ...args], { cwd: path.join(ROOT, 'apps'), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = new MnemoProcess('inspector', child);
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await run.exited;
  if (code !== 0) throw new Error(`inspector ${args.join(' ')} exited ${code}:\n${run.output}`);
  return JSON.parse(stdout);
}

describe('mnemo mcp (stdio) and /mcp with real processes', () => {
  const dataDir = makeTempDir('mcp-e2e');
  const prefix = uniquePrefix('mcp-e2e');
  let services: Services;
  let key: string;
  let restartedApi: MnemoProcess | undefined;
  beforeAll(async () => {
    services = await startServices({ REDIS_URL: TEST_REDIS_URL, MNEMO_DATA_DIR: dataDir, MNEMO_QUEUE_PREFIX: prefix });
    key = await services.createKey('mcp-alice');
  });
  afterAll(async () => {
    await restartedApi?.stop();
    await services?.stop();
    await deletePrefix(prefix);
    removeTempDir(dataDir);
  });

  it('serves the tools over stdio to the SDK client, and outlives the API restarting under it', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env: { ...(process.env as Record<string, string>), MNEMO_URL: services.base, MNEMO_API_KEY: key }, stderr: 'pipe' });
    const client = new Client({ name: 'mnemo-e2e', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools).toHaveLength(8);
      const added = (await client.callTool({ name: 'add_memory', arguments: { text: 'I play the cello in a string quartet.', wait_seconds: 25 } })) as ToolResult;
      expect(added.content[0]!.text).toMatch(/completed: [1-9]\d* created/);
      const found = (await client.callTool({ name: 'search_memories', arguments: { query: 'What instrument does the user play?' } })) as ToolResult;
      expect(found.content[0]!.text).toMatch(/^1\. .*cello/i);

      // The API goes away: a tool call is a clean tool error, the session stays.
      await services.api.stop();
      const down = (await client.callTool({ name: 'search_memories', arguments: { query: 'cello' } })) as ToolResult;
      expect(down).toMatchObject({ isError: true, structuredContent: { error: { code: 'NETWORK_ERROR' } } });
      // It comes back on the same port: the next call works, without restarting the MCP server.
      restartedApi = startProcess('api', services.env);
      await restartedApi.waitForOutput(/api listening/);
      const back = (await client.callTool({ name: 'search_memories', arguments: { query: 'cello' } })) as ToolResult;
      expect(back.isError).toBeFalsy();
      expect(back.content[0]!.text).toMatch(/cello/i);
    } finally {
      await client.close();
    }
  });

  it('says in one line what it needs when MNEMO_API_KEY is missing', async () => {
    const child = spawn(process.execPath, [CLI, 'mcp'], { cwd: ROOT, env: { ...process.env, MNEMO_API_KEY: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const run = new MnemoProcess('mnemo mcp', child);
    expect(await run.exited).toBe(1);
    expect(run.output.trim()).toBe('mnemo mcp needs MNEMO_API_KEY (a key from `mnemo keys create`) and MNEMO_URL (default http://localhost:8080)');
  });

  it('works with an independent client, the MCP Inspector CLI, over both transports', async () => {
    const env = { MNEMO_URL: services.base, MNEMO_API_KEY: key };
    const listed = await inspector(['node', CLI, 'mcp', '--method', 'tools/list'], env);
    expect(listed.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['add_memory', 'search_memories', 'get_job']));
    const called = await inspector(['node', CLI, 'mcp', '--method', 'tools/call', '--tool-name', 'search_memories', '--tool-arg', 'query=cello', 'limit=3'], env);
    expect(called.content[0].text).toMatch(/cello/i);

    const http = ['--transport', 'http', '--header', `Authorization: Bearer ${key}`];
    const overHttp = await inspector([`${services.base}/mcp`, ...http, '--method', 'tools/list']);
    expect(overHttp.tools).toHaveLength(8);
    const profile = await inspector([`${services.base}/mcp`, ...http, '--method', 'tools/call', '--tool-name', 'get_profile']);
    expect(profile.content[0].text).toMatch(/cello|interests/i);
  });
});
