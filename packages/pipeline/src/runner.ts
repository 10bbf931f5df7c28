import type { StageName } from '@mnemo/core';
import type { Stage, StageContext, StageOutputs } from './pipeline';
import type { PipelineInput } from './types';

/** Saved between attempts: finished stage outputs and how long each took. */
export interface Checkpoint {
  outputs: Partial<StageOutputs>;
  stage_ms: Partial<Record<StageName, number>>;
}

export interface RunHooks {
  /** Called as a stage starts (for progress reporting). */
  onStage?(stage: StageName, stageMs: Partial<Record<StageName, number>>): Promise<void>;
  /** Called after each stage but the last, with everything finished so far. */
  onCheckpoint?(checkpoint: Checkpoint): Promise<void>;
  /** Checked between stages; when aborted the run stops with a StageAborted error. */
  signal?: AbortSignal;
  /** Fault injection: sleep inside every stage. */
  stageDelayMs?: number;
}

export interface RunResult {
  outputs: StageOutputs;
  stage_ms: Partial<Record<StageName, number>>;
  /** Stages taken from the checkpoint instead of run. */
  resumed: StageName[];
}

/** A stage threw; carries which one, so the job's failure says where. */
export class StageFailed extends Error {
  constructor(
    readonly stage: StageName,
    override readonly cause: unknown,
  ) {
    super(`${stage} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StageFailed';
  }
}

/** The run was asked to stop between stages (shutdown); the checkpoint holds the finished ones. */
export class StageAborted extends Error {
  constructor(readonly nextStage: StageName) {
    super(`stopped before ${nextStage}`);
    this.name = 'StageAborted';
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/**
 * Runs the stages in order, timing each, skipping those whose output is in
 * the checkpoint, so a retry resumes after the last costly stage it
 * finished (the cheap ones in between are run again).
 */
export async function runStages(
  stages: Stage[],
  input: PipelineInput,
  checkpoint: Checkpoint | undefined,
  hooks: RunHooks = {},
): Promise<RunResult> {
  const outputs: Partial<StageOutputs> = { ...(checkpoint?.outputs ?? {}) };
  const stageMs: Partial<Record<StageName, number>> = { ...(checkpoint?.stage_ms ?? {}) };
  const resumed: StageName[] = [];
  for (const [i, stage] of stages.entries()) {
    if (outputs[stage.name] !== undefined) {
      resumed.push(stage.name);
      continue;
    }
    if (hooks.signal?.aborted) throw new StageAborted(stage.name);
    await hooks.onStage?.(stage.name, stageMs);
    const started = performance.now();
    try {
      if (hooks.stageDelayMs) await sleep(hooks.stageDelayMs, hooks.signal);
      const ctx: StageContext = { input, ...outputs };
      (outputs as Record<string, unknown>)[stage.name] = await stage.run(ctx);
    } catch (err) {
      throw new StageFailed(stage.name, err);
    }
    stageMs[stage.name] = Math.round((performance.now() - started) * 1000) / 1000;
    if (stage.checkpoint && i < stages.length - 1) await hooks.onCheckpoint?.({ outputs: { ...outputs }, stage_ms: { ...stageMs } });
  }
  return { outputs: outputs as StageOutputs, stage_ms: stageMs, resumed };
}
