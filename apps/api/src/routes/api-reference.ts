import express, { Router } from 'express';

// swagger-ui-dist ships no type declarations; this is the one function used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getAbsoluteFSPath } = require('swagger-ui-dist') as { getAbsoluteFSPath(): string };

/** Swagger UI's page, pointed at this server's document; its scripts come from node_modules, never a CDN. */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mnemo API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body></html>`;

const START = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });`;

/**
 * GET /openapi.json (the document, built once) and GET /docs (a rendered
 * reference). Unauthenticated like /healthz: the contract is public, the
 * data behind it is not.
 */
export function apiReferenceRouter(document: Record<string, unknown>): Router {
  const router = Router();
  const body = JSON.stringify(document);
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(body);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/docs/start.js', (_req, res) => {
    res.type('application/javascript').send(START);
  });
  router.use('/docs/assets', express.static(getAbsoluteFSPath(), { index: false, maxAge: '1d' }));
  return router;
}
