import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { LedgerChainRepository } from './ledger-chain.repository';
import { breakOf, ChainBreak, ChainVerification } from './ledger-chain';

const PAGE = 5000;
/** The hash each chain starts from (as `GENESIS` in the migration). */
const genesis = (chain: number) => createHash('sha256').update(`escrow-supervision ledger chain ${chain}`, 'utf8').digest('hex');

/**
 * Recomputes the ledger's hash chains (see the migration 1763940000000 for the design) in one
 * REPEATABLE READ snapshot, so transactions committed meanwhile are neither half seen nor blamed.
 */
@Injectable()
export class LedgerChainService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LedgerChainRepository,
  ) {}

  verify(): Promise<ChainVerification> {
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      const heads = await this.repo.heads(m);
      const breaks: ChainBreak[] = [];
      let transactions = 0;
      for (const head of heads) {
        let prevHash = genesis(head.chain);
        let seq = '0';
        let found: ChainBreak | null = null;
        for (;;) {
          const rows = await this.repo.chainPage(m, head.chain, seq, PAGE);
          for (const row of rows) {
            transactions++;
            found ??= breakOf(head.chain, row, prevHash, seq);
            prevHash = row.hash;
            seq = row.seq;
          }
          if (rows.length < PAGE) break;
        }
        // A head ahead of the last row, or with another hash: rows at the end of the chain are gone.
        if (!found && (head.seq !== seq || head.last_hash !== prevHash)) {
          found = { transactionId: head.last_txn_id ?? '0', chain: head.chain, seq: head.seq, reason: 'missing_transaction' };
        }
        if (found) breaks.push(found);
      }
      const unchained = await this.repo.firstUnchained(m);
      if (unchained) breaks.push({ transactionId: unchained, chain: null, seq: null, reason: 'not_chained' });
      breaks.sort((a, b) => (BigInt(a.transactionId) < BigInt(b.transactionId) ? -1 : BigInt(a.transactionId) > BigInt(b.transactionId) ? 1 : 0));
      const headsDigest = createHash('sha256')
        .update(heads.map((h) => `${h.chain}:${h.seq}:${h.last_hash}`).join('\n'))
        .digest('hex');
      return {
        ok: breaks.length === 0,
        transactions,
        chains: heads.length,
        headsDigest,
        firstBroken: breaks[0] ?? null,
        brokenChains: breaks.length,
        checkedAt: new Date().toISOString(),
      };
    });
  }
}
