import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One measured figure of a benchmark: the median of its runs, with the spread. */
export interface Figure {
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  runs: number[];
  /** The target, if the issue sets one, and which way is better. */
  target?: { value: number; better: 'higher' | 'lower' };
}

export interface BenchResult {
  bench: string;
  figures: Figure[];
  notes: string[];
}

export function figure(name: string, unit: string, runs: number[], target?: Figure['target']): Figure {
  const sorted = [...runs].sort((a, b) => a - b);
  return { name, unit, median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted.at(-1)!, runs, target };
}

export const met = (f: Figure) => (f.target ? (f.target.better === 'higher' ? f.median >= f.target.value : f.median <= f.target.value) : null);

export function machine() {
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

export function printTable(results: BenchResult[]): void {
  const rows = results.flatMap((r) =>
    r.figures.map((f) => [
      r.bench,
      f.name,
      `${round(f.median)} ${f.unit}`,
      `${round(f.min)}–${round(f.max)}`,
      f.target ? `${f.target.better === 'higher' ? '≥' : '≤'} ${f.target.value}` : '',
      met(f) === null ? '' : met(f) ? 'met' : 'MISSED',
    ]),
  );
  const header = ['bench', 'figure', 'median', 'min–max', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
  for (const r of results) for (const note of r.notes) console.log(`  ${r.bench}: ${note}`);
}

export function round(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

export function save(results: BenchResult[], file = path.join(__dirname, 'results', 'latest.json')): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), machine: machine(), results }, null, 2));
}

/** Peak resident set size of a process, from /proc (Linux), in MB. */
export function peakRssMb(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : null;
  } catch {
    return null;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
