import type { Memory } from '@mnemo/core';

/** A memory as the API shows it: everything but the owner id (the caller knows who they are). */
export function memoryView(memory: Memory) {
  const { user_id: _owner, ...view } = memory;
  return view;
}
