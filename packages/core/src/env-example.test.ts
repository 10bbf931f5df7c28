import fs from 'node:fs';
import path from 'node:path';
import { configSchema } from './config';
import { envExample } from './env-example';

const ENV_EXAMPLE = path.resolve(__dirname, '../../../.env.example');

describe('.env.example', () => {
  it('is the one the config schema makes (regenerate: npm run -s mnemo -- config example > .env.example)', () => {
    expect(fs.readFileSync(ENV_EXAMPLE, 'utf8')).toBe(envExample());
  });

  it('names every setting with its default', () => {
    const text = envExample();
    for (const name of Object.keys(configSchema.shape)) expect(text).toMatch(new RegExp(`^# ${name}=`, 'm'));
    expect(text).toMatch(/^# PORT=8080$/m);
    expect(text).toMatch(/^# MNEMO_REQUIRE_NOEVICTION=false$/m);
    expect(text).toMatch(/^# QDRANT_URL=$/m);
  });

  it('keeps every comment line within 100 characters', () => {
    const long = envExample().split('\n').filter((line) => line.startsWith('# ') && !line.includes('=') && line.length > 100);
    expect(long).toEqual([]);
  });
});
