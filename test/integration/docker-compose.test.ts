import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });

/** `docker compose` (plugin) or `docker-compose` (standalone), whichever this machine has. */
function composeCommand(): string[] | null {
  if (spawnSync('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version']).status === 0) return ['docker-compose'];
  return null;
}

describe('docker-compose.yml', () => {
  it('runs the production shape: Redis that never evicts and persists, Qdrant, API and worker on Qdrant', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['redis', 'qdrant', 'api', 'worker']));
    const redisCommand = compose.services.redis.command.join(' ');
    expect(redisCommand).toMatch(/--appendonly yes/);
    expect(redisCommand).toMatch(/--appendfsync everysec/);
    expect(redisCommand).toMatch(/--maxmemory-policy noeviction/);
    expect(compose.services.redis.volumes).toEqual([expect.stringMatching(/:\/data$/)]);
    expect(compose.services.qdrant.volumes).toEqual([expect.stringMatching(/:\/qdrant\/storage$/)]);
    for (const name of ['api', 'worker']) {
      const service = compose.services[name];
      expect(service.environment).toMatchObject({ MNEMO_STORE: 'qdrant', QDRANT_URL: 'http://qdrant:6333', REDIS_URL: 'redis://redis:6379' });
      expect(service.depends_on).toMatchObject({ redis: { condition: 'service_healthy' }, qdrant: { condition: 'service_healthy' } });
    }
    for (const name of ['redis', 'qdrant', 'api']) expect(compose.services[name].healthcheck).toBeDefined();
    expect(fs.existsSync(path.join(ROOT, compose.services.api.build, 'Dockerfile'))).toBe(true);
  });

  const command = composeCommand();
  (command ? it : it.skip)('is valid for the compose client on this machine', () => {
    expect(() => execFileSync(command![0]!, [...command!.slice(1), 'config', '-q'], { cwd: ROOT, stdio: 'pipe' })).not.toThrow();
  });
});
