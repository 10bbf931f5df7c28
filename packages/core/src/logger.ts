import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  service: string;
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
            winston.format.colorize(),
            pretty,
          ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}
