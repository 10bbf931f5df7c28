import fs from 'node:fs';
import { buildOpenApiDocument } from './document';

/** `node apps/api/dist/openapi/write-document.js <file>`: the document, for generators (the typed client). */
const out = process.argv[2];
const text = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
if (out) fs.writeFileSync(out, text);
else process.stdout.write(text);
