import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** One chained transaction as stored, with its hash recomputed from what is stored now. */
export interface ChainRow {
  id: string;
  seq: string;
  prev: string;
  hash: string;
  recomputed: string;
}

export interface ChainHeadRow {
  chain: number;
  seq: string;
  last_txn_id: string | null;
  last_hash: string;
}

/** The SQL of the hash chains (migration 1763940000000): reads for verification only; `ledger_post` writes them. */
@Injectable()
export class LedgerChainRepository {
  heads(m: EntityManager): Promise<ChainHeadRow[]> {
    return m.query(`SELECT chain, seq::text, last_txn_id::text, encode(last_hash, 'hex') AS last_hash FROM ledger_chain_heads ORDER BY chain`);
  }

  /** The next rows of one chain after `afterSeq`, each recomputed by the same SQL function `ledger_post` used. */
  chainPage(m: EntityManager, chain: number, afterSeq: string, limit: number): Promise<ChainRow[]> {
    return m.query(
      `SELECT t.id::text, t.chain_seq::text AS seq, encode(t.prev_hash, 'hex') AS prev, encode(t.hash, 'hex') AS hash,
              encode(ledger_chain_digest(t.prev_hash, t.chain, t.chain_seq, t.id, t.type, t.external_ref, t.reverses_id, t.actor,
                                         t.memo, t.metadata, t.created_at, ledger_chain_stored_postings(t.id)), 'hex') AS recomputed
         FROM ledger_transactions t
        WHERE t.chain = $1 AND t.chain_seq > $2::bigint
        ORDER BY t.chain_seq LIMIT $3`,
      [chain, afterSeq, limit],
    );
  }

  /** The first transaction written outside `ledger_post` (no chain at all), if any. */
  async firstUnchained(m: EntityManager): Promise<string | null> {
    const rows: { id: string | null }[] = await m.query(
      `SELECT min(id)::text AS id FROM ledger_transactions WHERE hash IS NULL OR chain IS NULL OR chain_seq IS NULL OR prev_hash IS NULL`,
    );
    return rows[0].id;
  }
}
