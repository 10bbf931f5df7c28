import type { Memory } from '@mnemo/core';

/** A memory as the API shows it: everything but the owner id (the caller knows who they are) and the internal retrieval keys. */
export function memoryView(memory: Memory) {
  const { user_id: _owner, keys: _keys, ...view } = memory;
  return view;
}
