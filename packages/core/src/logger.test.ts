import { colourWanted, createLogger } from './logger';

describe('log colours', () => {
  it('are for terminals only, unless NO_COLOR or FORCE_COLOR say otherwise', () => {
    expect(colourWanted({}, true)).toBe(true);
    expect(colourWanted({}, false)).toBe(false);
    expect(colourWanted({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colourWanted({ NO_COLOR: '1', FORCE_COLOR: '1' }, true)).toBe(false);
    expect(colourWanted({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colourWanted({ FORCE_COLOR: '0' }, true)).toBe(false);
  });

  it('leave pretty logs without escape codes when not on a terminal', () => {
    const saved = process.env.FORCE_COLOR;
    process.env.FORCE_COLOR = '0';
    try {
      const logger = createLogger({ level: 'info', format: 'pretty', service: 'test' });
      const written: string[] = [];
      const transport = logger.transports[0]!;
      // What the console transport would print: the formatted message.
      transport.log = (info: Record<symbol, string>, done: () => void) => {
        written.push(info[Symbol.for('message')]!);
        done();
      };
      logger.warn('disk nearly full', { free_mb: 12 });
      expect(written).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} test warn: disk nearly full \{"free_mb":12\}$/)]);
    } finally {
      if (saved === undefined) delete process.env.FORCE_COLOR;
      else process.env.FORCE_COLOR = saved;
    }
  });
});
