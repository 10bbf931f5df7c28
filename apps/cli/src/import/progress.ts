import { SingleBar, Presets } from 'cli-progress';
import type { ImportCounts, ProgressSink } from './importer';

const line = (c: ImportCounts, rate: number) =>
  `read ${c.read} | accepted ${c.accepted} (${c.duplicates} already known) | rejected ${c.rejected} | completed ${c.completed} | ${rate.toFixed(0)}/s`;

/** A progress bar on a terminal (with ETA when the total is known); plain periodic lines otherwise. */
export function progressFor(stream: NodeJS.WriteStream, everyMs = 5_000): ProgressSink {
  const started = Date.now();
  const rate = (c: ImportCounts) => c.read / Math.max(0.001, (Date.now() - started) / 1000);
  if (stream.isTTY) {
    let bar: SingleBar | null = null;
    return {
      start(total, counts) {
        bar = new SingleBar(
          {
            format: total === null ? '{status}' : '{bar} {percentage}% | ETA {eta_formatted} | {status}',
            hideCursor: true,
            stream,
            etaBuffer: 50,
          },
          Presets.shades_classic,
        );
        bar.start(total ?? 1, 0, { status: line(counts, 0) });
      },
      update(counts, note) {
        bar?.update(counts.read, { status: note ? `${line(counts, rate(counts))} | ${note}` : line(counts, rate(counts)) });
      },
      stop() {
        bar?.stop();
      },
    };
  }
  let last = 0;
  return {
    start(total) {
      stream.write(`importing${total === null ? '' : ` ${total} conversations`}\n`);
    },
    update(counts, note) {
      if (!note && Date.now() - last < everyMs) return;
      last = Date.now();
      stream.write(`${line(counts, rate(counts))}${note ? ` | ${note}` : ''}\n`);
    },
    stop() {
      // Nothing to clear: lines were printed as they came.
    },
  };
}
