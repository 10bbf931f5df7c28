import fs from 'node:fs';
import os from 'node:os';
import type { Server } from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { MnemoError } from '@mnemo/core';
import { mentions, stagesFailingAt } from '../support/faulty-stages';
import { ROOT } from '../support/processes';
import { ADMIN_KEY, SERVICE_KEY, startStack, type Stack } from '../support/stack';

jest.setTimeout(90_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = path.join(ROOT, 'test-output', 'dashboard');
// CI installs Chromium (.ci/run); elsewhere the test says how and steps aside.
const haveBrowser = fs.existsSync(CHROMIUM);
if (!haveBrowser && process.env.CI) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install chromium`);
if (!haveBrowser) console.warn(`dashboard browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
const describeWithBrowser = haveBrowser ? describe : describe.skip;

describeWithBrowser('the dashboard in a browser', () => {
  let stack: Stack;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  /** Conversations with this word fail in the categorize stage until it is cleared. */
  let poison = 'BROKEN-CATEGORIZER';

  beforeAll(async () => {
    fs.mkdirSync(OUTPUT, { recursive: true });
    stack = await startStack({ MNEMO_JOB_ATTEMPTS: '1' });
    await stack.startWorker(
      stagesFailingAt('categorize', (ctx) => (mentions(ctx, poison) ? new MnemoError('PROCESSING_ERROR', 'the category service is down') : null)),
    );
    server = await new Promise((resolve) => {
      const s = stack.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // The machine has no network beyond loopback: keep Chromium from trying.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await stack?.close();
  });

  const store = (content: string, thread: string) =>
    fetch(`${base}/v1/memories`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': SERVICE_KEY },
      body: JSON.stringify({ user_id: 'browser-user', messages: [{ role: 'user', content }], agent_id: 'a', thread_id: thread, source: 'chat' }),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, any> }));

  it('logs in, shows the pipeline with charts, and retries a failed job from Bull Board', async () => {
    for (const [i, text] of ['I live in Lyon and I teach maths.', 'I love climbing and I play the cello.', 'My brother Tom is a pilot.'].entries()) {
      expect((await store(text, `t-${i}`)).status).toBe(200);
    }
    const failed = await store(`I grow basil on my windowsill. ${poison}`, 't-fail');
    expect(failed.status).toBe(500);
    const jobId: string = failed.body.error.details.job_id;

    // Log in.
    await page.goto(`${base}/admin`);
    expect(page.url()).toContain('/admin/login');
    await page.fill('#key', ADMIN_KEY);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/admin`);
    await page.waitForSelector('body[data-loaded="true"]');

    // The overview: numbers and non-empty charts.
    expect(await page.textContent('#t-failed')).toBe('1');
    const charts = await page.evaluate(() => {
      const sum = (id: string, set: number) =>
        ((window as any).Chart.getChart(id).data.datasets[set].data as (number | null)[]).reduce((n: number, v) => n + (v ?? 0), 0);
      return { done: sum('c-throughput', 1), failed: sum('c-throughput', 2), store: sum('c-stages', 0), categories: sum('c-categories', 0) };
    });
    expect(charts.done).toBe(3);
    expect(charts.failed).toBe(1);
    expect(charts.store).toBeGreaterThan(0);
    expect(charts.categories).toBeGreaterThanOrEqual(3);
    expect(await page.textContent('#failures')).toContain('the category service is down');
    // The live workers (this process's, named host:pid) and the API's answers by status class.
    expect(Number(await page.textContent('#t-workers'))).toBeGreaterThanOrEqual(1);
    expect(await page.textContent('#workers')).toContain(`${os.hostname()}:${process.pid}`);
    const answers = await page.evaluate(() => {
      const sum = (set: number) => ((window as any).Chart.getChart('c-http').data.datasets[set].data as number[]).reduce((n, v) => n + v, 0);
      return { ok: sum(0), server: sum(2) };
    });
    expect(answers.ok).toBeGreaterThanOrEqual(3); // the three stored conversations
    expect(answers.server).toBeGreaterThanOrEqual(1); // the failed one's 500
    expect(await page.textContent('#t-5xx')).not.toBe('–');
    await page.screenshot({ path: path.join(OUTPUT, 'overview.png'), fullPage: true });

    // Bull Board: the failed job, with its reason.
    await page.goto(`${base}/admin/queues/queue/ingest?status=failed`);
    await page.getByText(jobId).first().waitFor();
    await page.getByText('the category service is down').first().waitFor();
    await page.screenshot({ path: path.join(OUTPUT, 'bull-board-failed.png'), fullPage: true });

    // Fix the cause, retry from the board, and the job completes.
    poison = 'NOTHING-IS-BROKEN';
    await page.getByRole('button', { name: /retry all/i }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    let state = '';
    for (let i = 0; i < 100 && state !== 'completed'; i++) {
      state = (await stack.ingest.queue.getJobState(jobId)) as string;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('completed');
    await page.goto(`${base}/admin/queues/queue/ingest?status=completed`);
    await page.getByText(jobId).first().waitFor();
    await page.screenshot({ path: path.join(OUTPUT, 'bull-board-completed.png'), fullPage: true });
  });

  it('renders the API reference at /docs from the served document, with no request leaving the machine', async () => {
    const external: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(base)) external.push(req.url());
    });
    await page.goto(`${base}/docs`);
    await page.getByText('Search memories with a natural-language query').first().waitFor();
    await page.getByText('/v1/memories/search').first().waitFor();
    await page.screenshot({ path: path.join(OUTPUT, 'api-reference.png'), fullPage: false });
    expect(external).toEqual([]);
  });
});
