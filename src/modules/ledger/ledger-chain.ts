/** Why a transaction breaks its chain. */
export type ChainBreakReason =
  /** Its stored content (or stored hash) no longer gives its hash: a row of it was changed. */
  | 'content_changed'
  /** It does not follow the previous transaction of its chain (one was removed, or a hash changed). */
  | 'link_broken'
  /** The chain's head names a transaction that is no longer there. */
  | 'missing_transaction'
  /** Written without a chain (outside `ledger_post`). */
  | 'not_chained';

export interface ChainBreak {
  transactionId: string;
  chain: number | null;
  seq: string | null;
  reason: ChainBreakReason;
}

export interface ChainVerification {
  ok: boolean;
  /** Chained transactions walked. */
  transactions: number;
  chains: number;
  /** sha256 over every chain head: record it elsewhere to prove later that nothing was rewritten since. */
  headsDigest: string;
  /** The broken transaction with the lowest id, or null. */
  firstBroken: ChainBreak | null;
  brokenChains: number;
  checkedAt: string;
}

/** The first problem of one row, given the hash and seq of the row before it in its chain (pure). */
export function breakOf(
  chain: number,
  row: { id: string; seq: string; prev: string; hash: string; recomputed: string },
  prevHash: string,
  prevSeq: string,
): ChainBreak | null {
  if (row.recomputed !== row.hash) return { transactionId: row.id, chain, seq: row.seq, reason: 'content_changed' };
  if (row.prev !== prevHash || BigInt(row.seq) !== BigInt(prevSeq) + 1n) return { transactionId: row.id, chain, seq: row.seq, reason: 'link_broken' };
  return null;
}
