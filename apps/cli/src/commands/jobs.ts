import { Command } from 'commander';
import { JobControl } from '@mnemo/queue';
import { withRedis } from '../redis-session';

/** Runs one operation with a JobControl on the configured Redis. */
const withJobs = <T>(fn: (jobs: JobControl) => Promise<T>) =>
  withRedis(async (redis, config) => {
    const jobs = new JobControl(redis, config.MNEMO_QUEUE_PREFIX);
    try {
      return await fn(jobs);
    } finally {
      await jobs.close();
    }
  });

/** `mnemo jobs`: what operators do to queued work, as the admin API does it. */
export function jobsCommand(): Command {
  const jobs = new Command('jobs').description('inspect and control queued work');

  jobs
    .command('stats')
    .description('jobs per queue and state, and how long the oldest has waited')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const stats = await withJobs((j) => j.stats());
      if (opts.json) return console.log(JSON.stringify(stats, null, 2));
      console.table(stats.map((q) => ({ queue: q.queue, ...q.counts, oldest_waiting_s: q.oldest_waiting_seconds ?? '-' })));
    });

  jobs
    .command('failed')
    .description('failed ingest jobs, most recent first, with their reasons')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(async (opts: { limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error('--limit takes a whole number from 1 to 1000');
      const failed = await withJobs((j) => j.failed(limit));
      if (opts.json) return console.log(JSON.stringify(failed, null, 2));
      console.log(`${failed.total} failed`);
      if (failed.jobs.length) {
        console.table(failed.jobs.map((f) => ({ job_id: f.job_id, user_id: f.user_id, code: f.error.code, reason: f.error.message, attempts: f.attempts, failed_at: f.failed_at })));
      }
    });

  jobs
    .command('retry')
    .description('put a failed job back in the queue (it resumes from its checkpoint), or every failed job with --all')
    .argument('[job-id]')
    .option('--all', 'every failed ingest job')
    .action(async (jobId: string | undefined, opts: { all?: boolean }) => {
      if (!jobId === !opts.all) throw new Error('give a job id or --all, not both');
      if (opts.all) return console.log(`retried ${await withJobs((j) => j.retryAll())} failed jobs`);
      await withJobs((j) => j.retry(jobId!));
      console.log(`retried ${jobId}`);
    });

  jobs
    .command('discard')
    .description('remove a job that is not running')
    .argument('<job-id>')
    .action(async (jobId: string) => {
      await withJobs((j) => j.discard(jobId));
      console.log(`discarded ${jobId}`);
    });

  return jobs;
}
