import type { z } from 'zod';
import { configSchema } from './config';

const WIDTH = 100;

/** A description as comment lines no wider than WIDTH. */
function commentLines(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/)) {
    if (line.length > 1 && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

/** What the setting is when the variable is unset, as the variable would spell it ('' when it has none). */
function defaultOf(schema: z.ZodType): string {
  const parsed = schema.safeParse(undefined);
  if (!parsed.success) return '';
  const value: unknown = parsed.data;
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return '';
  return String(value);
}

/**
 * `.env.example`: every setting mnemo reads, one line of meaning and its
 * default, all commented out, made from the config schema itself.
 */
export function envExample(): string {
  const out = [
    '# Every setting mnemo reads, with its default. Copy to .env and uncomment what you change.',
    '# Made from packages/core/src/config.ts by `npm run -s mnemo -- config example`; a test compares.',
  ];
  for (const [name, schema] of Object.entries(configSchema.shape) as [string, z.ZodType][]) {
    if (!schema.description) throw new Error(`config setting ${name} has no description`);
    out.push('', ...commentLines(schema.description), `# ${name}=${defaultOf(schema)}`);
  }
  return `${out.join('\n')}\n`;
}
