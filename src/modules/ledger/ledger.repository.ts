import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AccountSpec, accountCode, CHART_OF_ACCOUNTS } from './chart-of-accounts';
import { LedgerAccountRow, LedgerPostingRow } from './ledger.types';

export interface PostItem {
  type: string;
  external_ref: string | null;
  request_hash: string;
  reverses_id: string | null;
  actor: string | null;
  memo: string | null;
  metadata: Record<string, unknown>;
  stripe_hint: number;
  postings: { account_id: string; amount: string; currency: string }[];
}

export type PostResult = { ok: true; id: string; replayed: boolean } | { ok: false; error: string; details?: unknown };

export type AccountRow = LedgerAccountRow;
export type PostingRow = LedgerPostingRow;

const ACCOUNT_COLUMNS = `id::text, code, type, currency, normal_side, allow_negative, escrow_account_id, institution_id, contract_id`;

@Injectable()
export class LedgerRepository {
  /** One round trip: the `ledger_post` function applies the batch atomically per item. */
  async post(m: EntityManager, items: PostItem[]): Promise<PostResult[]> {
    const rows: { r: { ok: boolean; id?: number | string; replayed?: boolean; error?: string; details?: unknown }[] }[] = await m.query(
      `SELECT ledger_post($1::jsonb) AS r`,
      [JSON.stringify(items)],
    );
    return rows[0].r.map((r) => (r.ok ? { ok: true, id: String(r.id), replayed: Boolean(r.replayed) } : { ok: false, error: r.error!, details: r.details }));
  }

  /** Creates the accounts that do not exist yet (idempotent by code) and returns all of them. */
  async openAccounts(m: EntityManager, specs: AccountSpec[]): Promise<AccountRow[]> {
    if (specs.length === 0) return [];
    // Rows go in code order: transactions opening the same accounts take their insert locks in one order.
    const rows = [...specs].sort((a, b) => (accountCode(a) < accountCode(b) ? -1 : accountCode(a) > accountCode(b) ? 1 : 0)).map((s) => {
      const t = CHART_OF_ACCOUNTS[s.type];
      return [accountCode(s), s.type, s.currency ?? 'CNY', t.normalSide, t.allowNegative, t.stripes, s.escrowAccountId ?? null, s.institutionId ?? null, s.contractId ?? null];
    });
    const cols = ['code', 'type', 'currency', 'normal_side', 'allow_negative', 'stripes', 'escrow_account_id', 'institution_id', 'contract_id'];
    const casts = ['text', 'text', 'text', 'text', 'boolean', 'smallint', 'uuid', 'uuid', 'uuid'];
    const inserted: { id: string; stripes: number; institution_id: string | null; type: string; currency: string }[] = await m.query(
      `INSERT INTO ledger_accounts (${cols.join(', ')})
       SELECT * FROM unnest(${casts.map((c, i) => `$${i + 1}::${c}[]`).join(', ')})
       ON CONFLICT (code) DO NOTHING RETURNING id::text, stripes, institution_id, type, currency`,
      cols.map((_, i) => rows.map((r) => r[i])),
    );
    if (inserted.length) {
      await m.query(
        `INSERT INTO ledger_balances (account_id, stripe, institution_id, account_type, currency)
         SELECT a.id::bigint, s, a.inst, a.type, a.cur FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::text[]) AS a(id, n, inst, type, cur), generate_series(0, a.n - 1) s`,
        [inserted.map((r) => r.id), inserted.map((r) => r.stripes), inserted.map((r) => r.institution_id), inserted.map((r) => r.type), inserted.map((r) => r.currency)],
      );
    }
    return m.query(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE code = ANY($1::text[])`, [rows.map((r) => r[0])]);
  }

  async findAccount(m: EntityManager, id: string): Promise<AccountRow | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const rows: AccountRow[] = await m.query(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async findAccountByCode(m: EntityManager, code: string): Promise<AccountRow | null> {
    const rows: AccountRow[] = await m.query(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE code = $1`, [code]);
    return rows[0] ?? null;
  }

  /** Normal-side balance now (from the balance stripes) or at a past moment (from the postings). */
  async balance(m: EntityManager, account: AccountRow, asOf?: Date): Promise<string> {
    if (!asOf) {
      const rows: { b: string }[] = await m.query(`SELECT coalesce(sum(balance), 0)::text AS b FROM ledger_balances WHERE account_id = $1`, [account.id]);
      return rows[0].b;
    }
    const sign = account.normal_side === 'debit' ? 1 : -1;
    const rows: { b: string }[] = await m.query(
      `SELECT (coalesce(sum(amount), 0) * $3)::numeric(18,2)::text AS b FROM ledger_postings WHERE account_id = $1 AND created_at <= $2`,
      [account.id, asOf, sign],
    );
    return rows[0].b;
  }

  /** Newest first; keyset on posting id. */
  postings(m: EntityManager, accountId: string, beforeId: string | null, limit: number): Promise<PostingRow[]> {
    return m.query(
      `SELECT p.id::text, p.transaction_id::text, t.type, p.amount::text, p.currency, p.created_at, t.memo
         FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id
        WHERE p.account_id = $1 AND ($2::bigint IS NULL OR p.id < $2::bigint)
        ORDER BY p.id DESC LIMIT $3`,
      [accountId, beforeId, limit],
    );
  }

  async transaction(m: EntityManager, id: string) {
    if (!/^\d{1,18}$/.test(id)) return null;
    const txns: { id: string; type: string; external_ref: string | null; reverses_id: string | null; actor: string | null; memo: string | null; metadata: Record<string, unknown>; created_at: Date }[] =
      await m.query(`SELECT id::text, type, external_ref, reverses_id::text, actor, memo, metadata, created_at FROM ledger_transactions WHERE id = $1`, [id]);
    if (!txns[0]) return null;
    const postings: { account_id: string; amount: string; currency: string }[] = await m.query(
      `SELECT account_id::text, amount::text, currency FROM ledger_postings WHERE transaction_id = $1 ORDER BY id`,
      [id],
    );
    const reversedBy: { id: string }[] = await m.query(`SELECT id::text FROM ledger_transactions WHERE reverses_id = $1`, [id]);
    return { ...txns[0], postings, reversedBy: reversedBy[0]?.id ?? null };
  }

  /**
   * A contract's money by purpose, from the postings on its held account: paid in (fundings),
   * released (scheduled deductions included), refunded; a reversal counts against the purpose of what it reverses.
   */
  async contractBreakdown(m: EntityManager, accountId: string, asOf?: Date): Promise<Record<'funding' | 'release' | 'refund' | 'other', string>> {
    const rows: { purpose: string; total: string }[] = await m.query(
      // A scheduled deduction is a release on a schedule: it counts as released.
      `SELECT CASE WHEN (CASE WHEN t.type = 'reversal' THEN o.type ELSE t.type END) = 'deduction' THEN 'release'
                   ELSE (CASE WHEN t.type = 'reversal' THEN o.type ELSE t.type END) END AS purpose, sum(p.amount)::text AS total
         FROM ledger_postings p
         JOIN ledger_transactions t ON t.id = p.transaction_id
         LEFT JOIN ledger_transactions o ON o.id = t.reverses_id
        WHERE p.account_id = $1 AND ($2::timestamptz IS NULL OR p.created_at <= $2)
        GROUP BY 1`,
      [accountId, asOf ?? null],
    );
    const out = { funding: '0', release: '0', refund: '0', other: '0' };
    for (const r of rows) {
      const key = (['funding', 'release', 'refund'].includes(r.purpose) ? r.purpose : 'other') as keyof typeof out;
      out[key] = r.total;
    }
    return out;
  }

  /** Total held for an institution's contracts in one currency (its contract accounts' balance rows). */
  async heldForInstitution(m: EntityManager, institutionId: string, currency: string): Promise<string> {
    const rows: { b: string }[] = await m.query(
      `SELECT coalesce(sum(b.balance), 0)::text AS b
         FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
        WHERE b.institution_id = $1 AND b.account_type = 'contract_held' AND a.currency = $2`,
      [institutionId, currency],
    );
    return rows[0].b;
  }
}
