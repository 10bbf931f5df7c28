import type { StageName } from '@mnemo/core';
import type { Stage, StageOutputs } from './pipeline';
import { runStages, StageAborted, StageFailed, type Checkpoint } from './runner';
import { conversationInput } from './conversation-input';

const NAMES: StageName[] = ['analyze', 'extract', 'classify', 'categorize', 'embed', 'store'];

/** The stages whose output is worth a checkpoint, as in ingestStages. */
const COSTLY = new Set<StageName>(['extract', 'embed']);

/** Stages that record their calls and return their own name as output. */
function recordingStages(calls: StageName[], failAt?: { stage: StageName; error: Error }): Stage[] {
  return NAMES.map((name) => ({
    name,
    checkpoint: COSTLY.has(name),
    run: async () => {
      calls.push(name);
      if (failAt?.stage === name) throw failAt.error;
      return `${name}-output` as unknown as StageOutputs[typeof name];
    },
  }));
}

describe('runStages', () => {
  const input = conversationInput([['user', 'I live in Oslo']]);

  it('runs every stage in order, timing each, checkpointing after the costly ones', async () => {
    const calls: StageName[] = [];
    const checkpoints: Checkpoint[] = [];
    const progress: StageName[] = [];
    const run = await runStages(recordingStages(calls), input, undefined, {
      onStage: async (stage) => void progress.push(stage),
      onCheckpoint: async (cp) => void checkpoints.push(cp),
    });
    expect(calls).toEqual(NAMES);
    expect(progress).toEqual(NAMES);
    expect(Object.keys(run.stage_ms)).toEqual(NAMES);
    expect(checkpoints.map((cp) => Object.keys(cp.outputs))).toEqual([NAMES.slice(0, 2), NAMES.slice(0, 5)]);
  });

  it('resumes after the last checkpointed stage without running earlier ones again', async () => {
    // Failing at categorize: the checkpoint after extract holds analyze and extract; classify runs again.
    const early: StageName[] = [];
    let first: Checkpoint | undefined;
    await expect(
      runStages(recordingStages(early, { stage: 'categorize', error: new Error('lexicon down') }), input, undefined, {
        onCheckpoint: async (cp) => void (first = cp),
      }),
    ).rejects.toThrow(StageFailed);
    const again: StageName[] = [];
    expect((await runStages(recordingStages(again), input, first)).resumed).toEqual(['analyze', 'extract']);
    expect(again).toEqual(['classify', 'categorize', 'embed', 'store']);

    const calls: StageName[] = [];
    let saved: Checkpoint | undefined;
    await expect(
      runStages(recordingStages(calls, { stage: 'store', error: new Error('store down') }), input, undefined, {
        onCheckpoint: async (cp) => void (saved = cp),
      }),
    ).rejects.toThrow(StageFailed);
    calls.length = 0;
    const run = await runStages(recordingStages(calls), input, saved);
    expect(calls).toEqual(['store']);
    expect(run.resumed).toEqual(NAMES.slice(0, 5));
    expect(run.outputs.extract).toBe('extract-output');
  });

  it('names the failing stage', async () => {
    const err = await runStages(recordingStages([], { stage: 'extract', error: new Error('bad output') }), input, undefined).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StageFailed);
    expect((err as StageFailed).stage).toBe('extract');
    expect((err as StageFailed).message).toBe('extract failed: bad output');
  });

  it('stops between stages when aborted, keeping what finished', async () => {
    const calls: StageName[] = [];
    const controller = new AbortController();
    // The extract stage asks for shutdown while it runs; it still finishes.
    const stages = recordingStages(calls).map((s) =>
      s.name === 'extract' ? { ...s, run: async (ctx: Parameters<Stage['run']>[0]) => (controller.abort(), s.run(ctx)) } : s,
    ) as Stage[];
    const err = await runStages(stages, input, undefined, { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StageAborted);
    expect((err as StageAborted).nextStage).toBe('classify');
    expect(calls).toEqual(['analyze', 'extract']);
  });
});
