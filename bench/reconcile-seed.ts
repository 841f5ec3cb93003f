import { Client } from 'pg';
import { generateApiKeyToken } from '@modules/api-keys/api-key-token';
import { newWebhookSecret } from '@modules/banks/banks.service';

/**
 * The platform side of bench:reconcile, in bulk SQL on one connection: one custody bank (with a
 * plaintext signing secret, sealed by the service's first boot) and its bank key, `accounts`
 * institutions with one active CNY escrow account each, and `lines` statement lines per account
 * in the temporary table `bench_lines`, the one truth from which both the platform's records and
 * the statement files are made:
 *  - line i % 100 = 50: a line the platform has no record of (1 %), CRDT and DBIT in turn, with an
 *    odd number of cents: every record has an even number, so the line cannot even match by amount;
 *  - else i % 5 in (1, 3): an executed release (settlement_instructions, kind 'release'), a DBIT
 *    line quoting its end-to-end reference and its bank transaction id;
 *  - else: an incoming credit (bank_credits, held in suspense), a CRDT line quoting its bank
 *    transaction id.
 * Records are dated the statement day D (value date; received / executed D 10:00-11:59 China
 * time). The ledger agrees at the balance level: per account one funding transaction at D 08:00
 * China time, bank_cash (debit) against suspense, of the opening balance plus the signed matched
 * lines, so bank_cash at the end of D is the closing balance minus the unmatched lines.
 */
export interface SeedOptions {
  accounts: number;
  lines: number;
  /** Statement day, YYYY-MM-DD (China). */
  day: string;
  bankCode: string;
  /** Opening balance of every statement (numeric(18,2) text). */
  opening: string;
}

export interface SeededWorld {
  bankKey: string;
  bankSecret: string;
  /** Lines with no platform record (the exceptions the run must find). */
  unmatched: number;
  credits: number;
  releases: number;
}

export const UNMATCHED_EVERY = 100;

export async function seedPlatform(c: Client, o: SeedOptions): Promise<SeededWorld> {
  const secret = newWebhookSecret();
  await c.query(`INSERT INTO banks (code, name, webhook_url, secrets) VALUES ($1, 'Bench Custody Bank', NULL, ARRAY[$2])`, [o.bankCode, secret]);
  const key = generateApiKeyToken();
  await c.query(`INSERT INTO api_keys (name, role, bank_code, key_prefix, key_hash) VALUES ('bench bank', 'bank', $1, $2, $3)`, [o.bankCode, key.prefix, key.hash]);

  await c.query(
    `INSERT INTO institutions (name, uscc, district_code, category, profit_type, address, legal_representative, contact_name, contact_phone, basic_account_bank, basic_account_number)
     SELECT '对账基准机构' || k, 'R' || lpad(k::text, 17, '0'), '310117', 'non_subject', 'for_profit', '上海市杨浦区 ' || k, '法人' || k, '联系人', '13800000000',
            'BOC-SH', '4000' || lpad(k::text, 12, '0')
       FROM generate_series(1, $1) k`,
    [o.accounts],
  );
  await c.query(
    `INSERT INTO escrow_accounts (institution_id, bank_code, account_number, account_name, mode, agreement_reference)
     SELECT id, $1, '6222' || substr(uscc, 7, 12), name || '监管专户', 'full_custody', 'AGR-' || uscc FROM institutions WHERE uscc LIKE 'R%'`,
    [o.bankCode],
  );
  await c.query(`INSERT INTO escrow_account_events (escrow_account_id, action, reason) SELECT id, 'filed', 'bench agreement ' || agreement_reference FROM escrow_accounts WHERE bank_code = $1`, [
    o.bankCode,
  ]);

  // The lines, numbered k (account, by account number) and i (line); amounts in cents, exact.
  await c.query(
    `CREATE TEMP TABLE bench_lines AS
     SELECT e.k, e.id AS escrow_id, e.institution_id, e.account_number, i AS line,
            CASE WHEN i % $3 = $3 / 2 THEN 'none' WHEN i % 5 IN (1, 3) THEN 'release' ELSE 'credit' END AS kind,
            CASE WHEN i % $3 = $3 / 2 THEN (CASE WHEN (i / $3) % 2 = 0 THEN 'CRDT' ELSE 'DBIT' END) WHEN i % 5 IN (1, 3) THEN 'DBIT' ELSE 'CRDT' END AS direction,
            ((2 * (500 + ((e.k::bigint * $2 + i) * 7919) % 250000) + CASE WHEN i % $3 = $3 / 2 THEN 1 ELSE 0 END)::numeric / 100)::numeric(18,2) AS amount,
            (CASE WHEN i % $3 = $3 / 2 THEN 'X' ELSE 'B' END) || lpad(e.k::text, 6, '0') || lpad(i::text, 7, '0') AS ref,
            CASE WHEN i % 5 IN (1, 3) AND i % $3 <> $3 / 2 THEN 'EB' || lpad(e.k::text, 6, '0') || lpad(i::text, 7, '0') END AS e2e
       FROM (SELECT id, institution_id, account_number, row_number() OVER (ORDER BY account_number) AS k FROM escrow_accounts WHERE bank_code = $1) e,
            generate_series(1, $2) i`,
    [o.bankCode, o.lines, UNMATCHED_EVERY],
  );
  await c.query(`CREATE INDEX ON bench_lines (k, line)`);
  await c.query(`ANALYZE bench_lines`);

  const at = (time: string) => `(($1::date + time '${time}') AT TIME ZONE 'Asia/Shanghai')`;
  await c.query(
    `INSERT INTO bank_credits (bank_code, bank_transaction_id, escrow_account_id, amount, currency, value_date, payer_reference, applied, to_suspense, outcome, response,
                               payer_bank, payer_account_number, payer_account_name, received_at)
     SELECT $2, l.ref, l.escrow_id, l.amount, 'CNY', $1::date, NULL, 0, l.amount, 'suspense',
            jsonb_build_object('creditId', NULL, 'bankTransactionId', l.ref, 'outcome', 'suspense', 'contractId', NULL, 'contractState', NULL,
                               'applied', '0.00', 'toSuspense', l.amount::text, 'currency', 'CNY', 'exception', 'UNMATCHED_CREDIT'),
            'CCB-SH', '6217' || lpad(l.line::text, 12, '0'), '家长' || l.line, ${at('10:00')} + l.line * interval '1 second'
       FROM bench_lines l WHERE l.kind = 'credit'`,
    [o.day, o.bankCode],
  );
  await c.query(
    `INSERT INTO settlement_instructions (kind, escrow_account_id, institution_id, amount, currency, state, end_to_end_ref, source_ref, district_code, sequence, attempts,
                                         escrow_bank_code, escrow_account_number, escrow_account_name, payee_bank, payee_account_number, payee_account_name,
                                         bank_transaction_id, created_at, last_attempt_at, executed_at, updated_at)
     SELECT 'release', l.escrow_id, l.institution_id, l.amount, 'CNY', 'executed', l.e2e, 'bench.release.' || l.ref, i.district_code, l.line, 1,
            $2, l.account_number, i.name || '监管专户', i.basic_account_bank, i.basic_account_number, i.name,
            l.ref, ${at('09:00')}, ${at('09:00')}, ${at('11:00')} + l.line * interval '1 second', ${at('11:00')} + l.line * interval '1 second'
       FROM bench_lines l JOIN institutions i ON i.id = l.institution_id WHERE l.kind = 'release'`,
    [o.day, o.bankCode],
  );
  await c.query(`INSERT INTO movement_sequences (escrow_account_id, last) SELECT escrow_id, max(line) FROM bench_lines WHERE kind = 'release' GROUP BY escrow_id`);

  // The ledger: bank_cash and suspense per escrow account, one balanced funding transaction each.
  await c.query(
    `INSERT INTO ledger_accounts (code, type, currency, normal_side, allow_negative, stripes, escrow_account_id, institution_id)
     SELECT 'escrow:' || e.id || ':bank_cash:CNY', 'bank_cash', 'CNY', 'debit', false, 16, e.id, e.institution_id FROM escrow_accounts e WHERE e.bank_code = $1
     UNION ALL
     SELECT 'escrow:' || e.id || ':suspense:CNY', 'suspense', 'CNY', 'credit', false, 4, e.id, e.institution_id FROM escrow_accounts e WHERE e.bank_code = $1`,
    [o.bankCode],
  );
  await c.query(
    `CREATE TEMP TABLE bench_net AS
     SELECT escrow_id, institution_id, $1::numeric(18,2) + sum(CASE WHEN direction = 'CRDT' THEN amount ELSE -amount END) FILTER (WHERE kind <> 'none') AS net,
            row_number() OVER (ORDER BY escrow_id) + (SELECT coalesce(max(id), 0) FROM ledger_transactions) AS txn
       FROM bench_lines GROUP BY escrow_id, institution_id`,
    [o.opening],
  );
  const [{ negative }] = (await c.query(`SELECT count(*)::int AS negative FROM bench_net WHERE net <= 0`)).rows;
  if (negative > 0) throw new Error(`${negative} accounts would end with bank cash <= 0: raise the opening balance`);
  await c.query('BEGIN');
  await c.query(
    `INSERT INTO ledger_transactions (id, type, external_ref, request_hash, actor, memo, created_at)
     SELECT txn, 'funding', 'bench.reconcile.' || escrow_id, 'bench', 'bench', 'opening balance and the day''s matched lines', ${at('08:00')} FROM bench_net`,
    [o.day],
  );
  await c.query(`SELECT setval(pg_get_serial_sequence('ledger_transactions', 'id'), (SELECT max(id) FROM ledger_transactions))`);
  await c.query(
    `INSERT INTO ledger_postings (transaction_id, account_id, amount, currency, created_at)
     SELECT n.txn, a.id, CASE WHEN a.type = 'bank_cash' THEN n.net ELSE -n.net END, 'CNY', ${at('08:00')}
       FROM bench_net n JOIN ledger_accounts a ON a.escrow_account_id = n.escrow_id AND a.type IN ('bank_cash', 'suspense')`,
    [o.day],
  );
  await c.query(
    `INSERT INTO ledger_balances (account_id, stripe, institution_id, account_type, currency)
     SELECT a.id, s, a.institution_id, a.type, a.currency FROM ledger_accounts a JOIN escrow_accounts e ON e.id = a.escrow_account_id, generate_series(0, a.stripes - 1) s
      WHERE e.bank_code = $1`,
    [o.bankCode],
  );
  await c.query(
    `UPDATE ledger_balances b SET balance = n.net FROM bench_net n JOIN ledger_accounts a ON a.escrow_account_id = n.escrow_id AND a.type IN ('bank_cash', 'suspense')
      WHERE b.account_id = a.id AND b.stripe = 0`,
  );
  await c.query('COMMIT');

  const [counts] = (
    await c.query(
      `SELECT count(*) FILTER (WHERE kind = 'none')::int AS unmatched, count(*) FILTER (WHERE kind = 'credit')::int AS credits, count(*) FILTER (WHERE kind = 'release')::int AS releases FROM bench_lines`,
    )
  ).rows;
  await c.query(`VACUUM ANALYZE`);
  return { bankKey: key.token, bankSecret: secret, ...counts };
}

export interface StatementLine {
  line: number;
  direction: 'CRDT' | 'DBIT';
  amount: string;
  ref: string;
  e2e: string | null;
}

export interface StatementData {
  k: number;
  accountNumber: string;
  opening: string;
  closing: string;
  lines: StatementLine[];
}

/** The statements of accounts [from, to] (1-based, by account number) as bench_lines has them; closing computed by PostgreSQL (numeric). */
export async function statementsOf(c: Client, from: number, to: number, opening: string): Promise<StatementData[]> {
  const heads: { k: string; account_number: string; closing: string }[] = (
    await c.query(
      `SELECT k, account_number, ($3::numeric(18,2) + sum(CASE WHEN direction = 'CRDT' THEN amount ELSE -amount END))::numeric(18,2)::text AS closing
         FROM bench_lines WHERE k BETWEEN $1 AND $2 GROUP BY k, account_number ORDER BY k`,
      [from, to, opening],
    )
  ).rows;
  const rows: (StatementLine & { k: string })[] = (
    await c.query(`SELECT k, line, direction, amount::text AS amount, ref, e2e FROM bench_lines WHERE k BETWEEN $1 AND $2 ORDER BY k, line`, [from, to])
  ).rows;
  const byK = new Map<string, StatementLine[]>();
  for (const r of rows) {
    const list = byK.get(r.k) ?? [];
    list.push({ line: r.line, direction: r.direction, amount: r.amount, ref: r.ref, e2e: r.e2e });
    byK.set(r.k, list);
  }
  return heads.map((h) => ({ k: Number(h.k), accountNumber: h.account_number, opening, closing: h.closing, lines: byK.get(h.k) ?? [] }));
}
