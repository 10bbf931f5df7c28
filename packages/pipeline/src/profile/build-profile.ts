import type { Memory } from '@mnemo/core';
import type { MemoryStats, MemoryStore } from '@mnemo/store';

export interface CategoryProfile {
  count: number;
  top_memories: { id: string; memory: string; type: Memory['type']; mentions: number }[];
}

export interface UserProfile {
  user_bio: string;
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
export async function buildProfile(store: MemoryStore, userId: string, now = new Date()): Promise<UserProfile> {
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

  return {
    user_bio: bio.join(' '),
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
