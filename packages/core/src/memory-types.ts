/** semantic: a lasting fact about the user. episodic: a time-bound event or plan. */
export const MEMORY_TYPES = ['semantic', 'episodic'] as const;
export type MemoryType = (typeof MEMORY_TYPES)[number];
