import type { Request } from 'express';
import { Router, type RequestHandler } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { MnemoClient } from '@mnemo/client';
import { createMnemoMcpServer } from '@mnemo/mcp';
import { presentedKey } from '../middleware/authenticate';

/**
 * This API as seen from itself: the address and port the request came in
 * on. The tools call /v1 there with the caller's own key, so an MCP call
 * gets exactly the users, roles, validation and rate limits of /v1.
 */
function selfUrl(req: Request): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') ? (address.startsWith('::ffff:') ? address.slice(7) : `[${address}]`) : address;
  return `http://${host}:${req.socket.localPort}`;
}

/**
 * POST /mcp: the Model Context Protocol over Streamable HTTP, stateless
 * (a server and transport per request, no session to pin to one API
 * process), behind the same authentication as /v1. GET and DELETE (server
 * streams and sessions) are not offered in stateless mode: 405.
 */
export function mcpRouter({ jsonBody }: { jsonBody: RequestHandler }): Router {
  const router = Router();
  router.post('/mcp', jsonBody, async (req, res, next) => {
    try {
      const key = presentedKey(req)!;
      const api = new MnemoClient({ url: selfUrl(req), apiKey: key, retry: { attempts: 1 } });
      const server = createMnemoMcpServer(api);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (err) {
      next(err);
    }
  });
  const notAllowed: RequestHandler = (_req, res) => {
    res.status(405).set('Allow', 'POST').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this server is stateless, use POST' }, id: null });
  };
  router.get('/mcp', notAllowed);
  router.delete('/mcp', notAllowed);
  return router;
}
