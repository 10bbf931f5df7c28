import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from '../../apps/api/src/openapi/document';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

const ROOT = path.resolve(__dirname, '../..');
const GENERATED = path.join(ROOT, 'packages/client/src/generated/openapi.ts');

it("@mnemo/client's generated types are those of the current OpenAPI document (regenerate: npm run generate:client)", () => {
  const dir = makeTempDir('client-types');
  try {
    fs.writeFileSync(path.join(dir, 'openapi.json'), `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
    const run = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/openapi-typescript/bin/cli.js'), path.join(dir, 'openapi.json'), '-o', path.join(dir, 'openapi.ts')], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(fs.readFileSync(GENERATED, 'utf8')).toBe(fs.readFileSync(path.join(dir, 'openapi.ts'), 'utf8'));
  } finally {
    removeTempDir(dir);
  }
});
