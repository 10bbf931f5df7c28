import type { StageName } from '@mnemo/core';
import { ingestStages, type PipelineDeps, type Stage, type StageContext } from '@mnemo/pipeline';

/**
 * The real pipeline with one stage made to fail on demand: before it runs,
 * `failure` sees the job and returns the error to throw, or null to run
 * the stage as usual.
 */
export function stagesFailingAt(name: StageName, failure: (ctx: StageContext) => Error | null) {
  return (deps: PipelineDeps): Stage[] =>
    ingestStages(deps).map((stage) =>
      stage.name !== name
        ? stage
        : {
            ...stage,
            run: async (ctx: StageContext) => {
              const err = failure(ctx);
              if (err) throw err;
              return stage.run(ctx);
            },
          },
    ) as Stage[];
}

/** Whether any message of the job's conversation contains the text. */
export const mentions = (ctx: StageContext, text: string) => ctx.input.conversation.messages.some((m) => m.content.includes(text));
