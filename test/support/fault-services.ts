import fs from 'node:fs';
import path from 'node:path';
import { assertBuilt, freePort, ROOT, runCli, startProcess, type MnemoProcess } from './processes';

/** What the fault scenarios share: real API and worker processes, a caller, and the figures they record. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Observed figures, kept in test-output/faults/figures.json for RELIABILITY.md. */
const FIGURES = path.join(ROOT, 'test-output', 'faults', 'figures.json');
export function record(scenario: string, figures: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(FIGURES), { recursive: true });
  const all = fs.existsSync(FIGURES) ? (JSON.parse(fs.readFileSync(FIGURES, 'utf8')) as Record<string, unknown>) : {};
  all[scenario] = { ...figures, at: new Date().toISOString() };
  fs.writeFileSync(FIGURES, JSON.stringify(all, null, 2));
}

export interface Services {
  env: Record<string, string>;
  base: string;
  processes: MnemoProcess[];
  startApi(extra?: Record<string, string>): Promise<MnemoProcess>;
  startWorker(extra?: Record<string, string>): Promise<MnemoProcess>;
  call(path: string, init?: { method?: string; body?: unknown; key?: string }): Promise<{ status: number; body: Record<string, any>; ms: number }>;
  stopAll(): Promise<void>;
}

export async function services(env: Record<string, string>): Promise<Services> {
  assertBuilt();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const full = { PORT: String(port), HOST: '127.0.0.1', MNEMO_JOB_BACKOFF_MS: '100', ...env };
  const processes: MnemoProcess[] = [];
  let key = '';
  const start = async (kind: 'api' | 'worker', extra: Record<string, string> = {}) => {
    const p = startProcess(kind, { ...full, ...extra });
    processes.push(p);
    await p.waitForOutput(kind === 'api' ? /api listening/ : /worker ready/, 30_000);
    return p;
  };
  return {
    env: full,
    base,
    processes,
    startApi: (extra) => start('api', extra),
    startWorker: (extra) => start('worker', extra),
    async call(path, init = {}) {
      if (!key) key = (await runCli(['keys', 'create', '--user', 'faults', '--role', 'service'], full)).split('\n')[0]!;
      const started = Date.now();
      const res = await fetch(`${base}${path}`, {
        method: init.method ?? (init.body ? 'POST' : 'GET'),
        headers: { 'content-type': 'application/json', 'x-api-key': init.key ?? key },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(text) as Record<string, any>;
      } catch {
        body = { text };
      }
      return { status: res.status, body, ms: Date.now() - started };
    },
    async stopAll() {
      await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    },
  };
}

export const conversation = (user: string, text: string) => ({ user_id: user, messages: [{ role: 'user', content: text }], agent_id: 'faults', thread_id: `${user}-${text.length}`, source: 'faults' });

export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

