import type { LlmUsage, Memory } from '@mnemo/core';
import type { MemoryStats, MemoryStore } from '@mnemo/store';

export interface CategoryProfile {
  count: number;
  top_memories: { id: string; memory: string; type: Memory['type']; mentions: number }[];
}

/** Writes the bio from the strongest memories (a model); the assembled bio is the fallback. */
export interface BioWriter {
  write(memories: Memory[]): Promise<{ bio: string; llm: LlmUsage }>;
}

export interface UserProfile {
  user_bio: string;
  /** model: written by the bio writer; assembled: put together from memory texts. */
  bio_source: 'model' | 'assembled';
  profiles: Record<string, CategoryProfile>;
  stats: {
    total_memories: number;
    by_category: Record<string, number>;
    by_type: MemoryStats['by_type'];
    date_range: { first_memory: string | null; last_memory: string | null };
  };
  generated_at: string;
}

/** Categories in the order a reader meets a person: who, what they do, who they love, what they enjoy. */
const BIO_ORDER = ['identity', 'career', 'relationships', 'interests', 'learning', 'health', 'travel', 'finance', 'productivity'];
const TOP_PER_CATEGORY = 5;
const BIO_SENTENCES = 6;
const BIO_FALLBACK_SENTENCES = 3;
/** Enough to see every category's strongest memories for a personal memory set. */
const SCAN_LIMIT = 2_000;
/** Memories a bio writer is shown: the strongest, private ones left out. */
const BIO_WRITER_MEMORIES = 40;

/** Strongest first: lasting facts, said more often, more recent. */
function strength(a: Memory, b: Memory): number {
  if (a.type !== b.type) return a.type === 'semantic' ? -1 : 1;
  return b.mentions - a.mentions || b.updated_at.localeCompare(a.updated_at);
}

/** "User lives in Oslo" -> "Lives in Oslo." */
function asBioSentence(memory: string): string {
  const text = memory.replace(/^User's /, 'Their ').replace(/^User /, '').trim();
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}`;
}

/**
 * The profile assembled from the user's memories: a bio from the strongest
 * lasting facts (private ones left out), the top memories per category, and stats.
 */
export async function buildProfile(
  store: MemoryStore,
  userId: string,
  options: { now?: Date; bioWriter?: BioWriter; onBioError?: (err: unknown) => void; onUsage?: (usage: LlmUsage) => Promise<void> } = {},
): Promise<UserProfile> {
  const now = options.now ?? new Date();
  const [stats, page] = await Promise.all([store.stats(userId), store.list(userId, { page: 1, pageSize: SCAN_LIMIT })]);
  const memories = [...page.items].sort(strength);

  const profiles: Record<string, CategoryProfile> = {};
  for (const [category, count] of Object.entries(stats.by_category)) {
    profiles[category] = {
      count,
      top_memories: memories
        .filter((m) => m.categories.includes(category))
        .slice(0, TOP_PER_CATEGORY)
        .map(({ id, memory, type, mentions }) => ({ id, memory, type, mentions })),
    };
  }

  const bio: string[] = [];
  const used = new Set<string>();
  for (const category of BIO_ORDER) {
    const best = memories.find((m) => m.type === 'semantic' && m.categories.includes(category) && !m.categories.includes('private') && !used.has(m.id));
    if (best) {
      used.add(best.id);
      bio.push(asBioSentence(best.memory));
    }
    if (bio.length >= BIO_SENTENCES) break;
  }

  // Someone known only by recent events still gets a bio: their strongest episodic facts.
  if (bio.length === 0) {
    for (const m of memories.filter((m) => !m.categories.includes('private')).slice(0, BIO_FALLBACK_SENTENCES)) {
      bio.push(asBioSentence(m.memory));
    }
  }

  let userBio = bio.join(' ');
  let bioSource: UserProfile['bio_source'] = 'assembled';
  const shown = memories.filter((m) => !m.categories.includes('private')).slice(0, BIO_WRITER_MEMORIES);
  if (options.bioWriter && shown.length > 0) {
    try {
      const written = await options.bioWriter.write(shown);
      await options.onUsage?.(written.llm);
      userBio = written.bio;
      bioSource = 'model';
    } catch (err) {
      // A profile with the assembled bio beats no profile; the caller logs why.
      options.onBioError?.(err);
    }
  }

  return {
    user_bio: userBio,
    bio_source: bioSource,
    profiles,
    stats: {
      total_memories: stats.total,
      by_category: stats.by_category,
      by_type: stats.by_type,
      date_range: { first_memory: stats.first_memory, last_memory: stats.last_memory },
    },
    generated_at: now.toISOString(),
  };
}
