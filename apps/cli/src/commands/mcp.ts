import { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { MnemoClient } from '@mnemo/client';
import { createMnemoMcpServer } from '@mnemo/mcp';

/**
 * `mnemo mcp`: mnemo's tools for an MCP client (Claude Desktop, Claude
 * Code, Cursor) over stdio, talking to a deployment over its HTTP API, so
 * it works against a remote one. stdout is the protocol: anything this
 * process says goes to stderr.
 */
export function mcpCommand(): Command {
  return new Command('mcp')
    .description('serve mnemo to an MCP client over stdio (MNEMO_URL, MNEMO_API_KEY)')
    .action(async () => {
      const apiKey = process.env.MNEMO_API_KEY?.trim();
      if (!apiKey) throw new Error('mnemo mcp needs MNEMO_API_KEY (a key from `mnemo keys create`) and MNEMO_URL (default http://localhost:8080)');
      const url = (process.env.MNEMO_URL ?? 'http://localhost:8080').replace(/\/+$/, '');
      // A tool call fails fast (as a tool error) while the API is away; the next call tries again.
      const api = new MnemoClient({ url, apiKey, retry: { attempts: 2, maxDelayMs: 1_000 } });
      await createMnemoMcpServer(api).connect(new StdioServerTransport());
      console.error(`mnemo mcp: serving ${url} over stdio`);
    });
}
