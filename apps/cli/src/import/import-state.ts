import fs from 'node:fs';
import path from 'node:path';

/**
 * What an import has done, kept beside the source so the same command run
 * again continues where it stopped. `done` is a watermark: every item
 * before it was answered by the server (accepted or rejected). Items after
 * it may have been sent too; sending them again is harmless, because each
 * carries a deterministic idempotency key and the server never enqueues a
 * key twice.
 */
export interface ImportState {
  version: 1;
  /** The absolute path imported; a state dir belongs to one source. */
  source: string;
  done: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  started_at: string;
  updated_at: string;
}

export class ImportStateDir {
  readonly statePath: string;
  readonly jobsPath: string;
  readonly rejectedPath: string;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.statePath = path.join(dir, 'state.json');
    this.jobsPath = path.join(dir, 'jobs.jsonl');
    this.rejectedPath = path.join(dir, 'rejected.jsonl');
  }

  /** The saved state, or a new one; refuses a state dir of another source. */
  load(source: string): ImportState {
    if (fs.existsSync(this.statePath)) {
      const state = JSON.parse(fs.readFileSync(this.statePath, 'utf8')) as ImportState;
      if (state.source !== source) {
        throw new Error(`${this.dir} holds the state of another import (${state.source}); use --state to choose another directory`);
      }
      return state;
    }
    const now = new Date().toISOString();
    return { version: 1, source, done: 0, accepted: 0, duplicates: 0, rejected: 0, started_at: now, updated_at: now };
  }

  /** Written whole and renamed into place: an interruption never leaves half a state file. */
  save(state: ImportState): void {
    state.updated_at = new Date().toISOString();
    const tmp = `${this.statePath}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
    fs.renameSync(tmp, this.statePath);
  }

  appendJobs(jobs: { index: number; job_id: string; user_id?: string }[]): void {
    if (jobs.length) fs.appendFileSync(this.jobsPath, jobs.map((j) => JSON.stringify(j)).join('\n') + '\n');
  }

  appendRejected(rejected: { index: number; source_id: string; error: unknown }[]): void {
    if (rejected.length) fs.appendFileSync(this.rejectedPath, rejected.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }

  /** Every job the import has been given, once each, with the user it acts for (absent: the key's own). */
  jobs(): { job_id: string; user_id?: string }[] {
    if (!fs.existsSync(this.jobsPath)) return [];
    const jobs = new Map<string, { job_id: string; user_id?: string }>();
    for (const line of fs.readFileSync(this.jobsPath, 'utf8').split('\n')) {
      if (!line) continue;
      const { job_id, user_id } = JSON.parse(line) as { job_id: string; user_id?: string };
      jobs.set(job_id, { job_id, user_id });
    }
    return [...jobs.values()];
  }
}
