import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  service: string;
}

/**
 * Colours only for a person at a terminal: piped into a file or a log
 * collector, escape codes are noise. NO_COLOR and FORCE_COLOR
 * (no-color.org, and what `mnemo start` sets for the processes it runs
 * in a terminal) decide first.
 */
export function colourWanted(env: NodeJS.ProcessEnv = process.env, isTty = !!process.stdout.isTTY): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTty;
}

/** One logger per process; children add context such as job_id and user_id. */
export function createLogger({ level, format, service }: LoggerOptions): Logger {
  const pretty = winston.format.printf(({ level: lvl, message, timestamp, service: svc, ...rest }) => {
    const context = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    return `${String(timestamp)} ${String(svc)} ${lvl}: ${String(message)}${context}`;
  });
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format:
      format === 'json'
        ? winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json())
        : winston.format.combine(
            winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
            winston.format.errors({ stack: true }),
            ...(colourWanted() ? [winston.format.colorize()] : []),
            pretty,
          ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}
