import type { KeyRole } from '@mnemo/core';

/** Who a request acts as, once its key is verified. */
export interface Principal {
  keyId: string;
  role: KeyRole;
  /** The user the key belongs to. A service key may act for another user named in the request. */
  userId: string;
}
