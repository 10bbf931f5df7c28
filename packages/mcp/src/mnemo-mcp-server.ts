import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { MnemoClient } from '@mnemo/client';
import { registerMnemoTools } from './mnemo-tools';

/** An MCP server whose tools act through `api` (one per session, or per request when stateless). */
export function createMnemoMcpServer(api: MnemoClient): McpServer {
  const server = new McpServer(
    { name: 'mnemo', version: '0.1.0' },
    { instructions: 'Long-term memory about the user: search_memories before answering questions about them; add_memory when they tell you something worth keeping.' },
  );
  registerMnemoTools(server, api);
  return server;
}
