import { SingleBar, Presets } from 'cli-progress';
import type { ReembedProgress } from './reembed';

/** A progress bar on a terminal; plain periodic lines otherwise (logs, pipes, tests). */
export function reembedProgressFor(stream: NodeJS.WriteStream, everyMs = 5_000): ReembedProgress {
  if (stream.isTTY) {
    const bar = new SingleBar(
      { format: 're-embedding {bar} {percentage}% | {value}/{total} vectors | ETA {eta_formatted}', hideCursor: true, stream, etaBuffer: 50 },
      Presets.shades_classic,
    );
    return {
      start: (total, done) => bar.start(total, done),
      update: (done) => bar.update(done),
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let total = 0;
  return {
    start(all, done) {
      total = all;
      stream.write(`re-embedding ${all} vectors${done > 0 ? ` (${done} already done)` : ''}\n`);
    },
    update(done) {
      if (Date.now() - last < everyMs) return;
      last = Date.now();
      stream.write(`re-embedded ${done}/${total}\n`);
    },
    stop() {
      // Nothing to clear: lines were printed as they came.
    },
  };
}
