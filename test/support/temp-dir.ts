import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh data directory under the OS temp dir; remove it with removeTempDir. */
export function makeTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mnemo-${label}-`));
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
