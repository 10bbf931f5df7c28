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

  it('builds the mnemo image for every service that runs it, so nothing is pulled that was never pushed', () => {
    for (const name of ['api', 'worker', 'cli', 'worker-2', 'worker-3']) {
      expect(compose.services[name]).toMatchObject({ build: '.', image: expect.stringMatching(/^mnemo:\d/), pull_policy: 'build' });
    }
  });

  it('pins every image to a version and tests Qdrant at the version the client is built for', () => {
    for (const [name, service] of Object.entries<{ image: string }>(compose.services)) {
      expect([name, service.image]).toEqual([name, expect.stringMatching(/:v?\d+\.\d+/)]);
    }
    const client = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@qdrant/js-client-rest/package.json'), 'utf8')) as { version: string };
    const [major, minor] = client.version.split('.');
    expect(compose.services.qdrant.image).toBe(`qdrant/qdrant:v${major}.${minor}.0`);
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    for (const from of dockerfile.match(/^FROM .*/gm)!) expect(from).toMatch(/^FROM node:\d+\.\d+-/);
    // Installs exactly what the lockfile says.
    expect(dockerfile).toMatch(/RUN npm ci /);
    expect(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n')).toContain('.env');
  });

  it('refuses an evicting Redis, reads secrets from .env, bounds resources and keeps the dashboard off the public port', () => {
    for (const name of ['api', 'worker', 'cli']) {
      const service = compose.services[name];
      expect(service.environment.MNEMO_REQUIRE_NOEVICTION).toBe('true');
      expect(service.env_file).toEqual([{ path: '.env', required: false }]);
    }
    for (const name of ['redis', 'qdrant', 'api', 'worker']) {
      expect(compose.services[name].deploy.resources.limits).toEqual({ cpus: expect.any(String), memory: expect.any(String) });
    }
    const api = compose.services.api;
    expect(api.environment.MNEMO_ADMIN_PORT).toBe('8081');
    expect(api.ports).toEqual(['8080:8080', `127.0.0.1:8081:8081`]);
    // No secret is written into the compose file itself.
    const text = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(text).not.toMatch(/(API_KEY|API_KEYS|PAYLOAD_KEY):/);
  });

  it('has a scale profile: three Qdrant nodes in one cluster, three workers, a sharded and replicated collection', () => {
    const inScale = Object.entries<{ profiles?: string[] }>(compose.services)
      .filter(([, s]) => s.profiles?.includes('scale'))
      .map(([name]) => name);
    expect(inScale.sort()).toEqual(['qdrant-2', 'qdrant-3', 'worker-2', 'worker-3']);
    expect(compose.services.qdrant.environment.QDRANT__CLUSTER__ENABLED).toBe('true');
    expect(compose.services.qdrant.command).toEqual(['./qdrant', '--uri', 'http://qdrant:6335']);
    for (const name of ['qdrant-2', 'qdrant-3']) {
      expect(compose.services[name].command).toEqual(['./qdrant', '--bootstrap', 'http://qdrant:6335', '--uri', `http://${name}:6335`]);
      expect(compose.services[name].volumes).toEqual([`${name}-data:/qdrant/storage`]);
      // The API creates the collection only once the scale profile's nodes have joined.
      expect(compose.services.api.depends_on[name]).toEqual({ condition: 'service_healthy', required: false });
    }
    expect(compose.services.api.environment).toMatchObject({ MNEMO_QDRANT_SHARDS: '3', MNEMO_QDRANT_REPLICATION_FACTOR: '2' });
    for (const name of ['worker-2', 'worker-3']) expect(compose.services[name].command).toEqual(compose.services.worker.command);
  });

  const command = composeCommand();
  (command ? it : it.skip)('is valid for the compose client on this machine', () => {
    expect(() => execFileSync(command![0]!, [...command!.slice(1), 'config', '-q'], { cwd: ROOT, stdio: 'pipe' })).not.toThrow();
  });
});
