import { Client } from 'pg';

/**
 * Invariants of the money, checked straight in SQL on one consistent snapshot (REPEATABLE READ),
 * so they may run while the service is still working (a queued delivery, an unfreeze job).
 *
 * `ledger` checks hold for any database: double entry, balances equal to their postings, no
 * forbidden negative balance. `domain` checks hold when money moves only through the product's
 * use cases (credits, lessons, cadences, movements, bank callbacks); a test that posts to the
 * ledger by hand (a reversal, an adjustment) runs the ledger checks only.
 *
 * Each check is a query that returns the offending rows: none means it holds.
 */
interface Check {
  name: string;
  scope: 'ledger' | 'domain';
  sql: string;
}

const RELEASED_LESSON = `l.release_mode IN ('per_lesson', 'weekly') AND l.released_at IS NOT NULL`;

const CHECKS: Check[] = [
  // ---- ledger ------------------------------------------------------------------------------
  {
    name: 'every transaction sums to zero per currency',
    scope: 'ledger',
    sql: `SELECT transaction_id, currency, sum(amount) AS sum FROM ledger_postings GROUP BY 1, 2 HAVING sum(amount) <> 0`,
  },
  {
    name: 'every transaction has at least two postings',
    scope: 'ledger',
    sql: `SELECT t.id FROM ledger_transactions t LEFT JOIN ledger_postings p ON p.transaction_id = t.id GROUP BY t.id HAVING count(p.id) < 2`,
  },
  {
    name: "each account's balance rows equal the sum of its postings",
    scope: 'ledger',
    sql: `SELECT a.id, a.code, coalesce(b.total, 0) AS balance_rows, coalesce(p.total, 0) * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END AS postings
            FROM ledger_accounts a
            LEFT JOIN (SELECT account_id, sum(balance) AS total FROM ledger_balances GROUP BY 1) b ON b.account_id = a.id
            LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_postings GROUP BY 1) p ON p.account_id = a.id
           WHERE coalesce(b.total, 0) <> coalesce(p.total, 0) * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END`,
  },
  {
    name: 'no account that may not go negative is negative',
    scope: 'ledger',
    sql: `SELECT a.id, a.code, sum(b.balance) AS balance FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
           WHERE NOT a.allow_negative GROUP BY a.id, a.code HAVING sum(b.balance) < 0`,
  },
  {
    name: 'postings are in their account currency',
    scope: 'ledger',
    sql: `SELECT p.id, p.currency, a.currency AS account_currency FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id WHERE p.currency <> a.currency`,
  },

  // ---- contracts: paid in = released + refunded + held -----------------------------------
  {
    name: 'per contract: paid in (contracts) = paid in (ledger) = released + refunded + held',
    scope: 'domain',
    sql: `WITH held AS (
            SELECT a.contract_id, a.id AS account_id, coalesce(sum(b.balance), 0) AS held
              FROM ledger_accounts a LEFT JOIN ledger_balances b ON b.account_id = a.id
             WHERE a.type = 'contract_held' GROUP BY a.contract_id, a.id),
          flows AS (
            SELECT p.account_id,
                   coalesce(sum(-p.amount) FILTER (WHERE t.type = 'funding'), 0) AS paid_in,
                   coalesce(sum(p.amount) FILTER (WHERE t.type = 'release'), 0) AS released,
                   coalesce(sum(p.amount) FILTER (WHERE t.type = 'refund'), 0) AS refunded,
                   coalesce(sum(-p.amount) FILTER (WHERE t.type NOT IN ('funding', 'release', 'refund')), 0) AS other
              FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id
             WHERE p.account_id IN (SELECT account_id FROM held) GROUP BY p.account_id)
          SELECT c.id AS contract_id, c.amount_paid, f.paid_in, f.released, f.refunded, f.other, h.held
            FROM contracts c LEFT JOIN held h ON h.contract_id = c.id LEFT JOIN flows f ON f.account_id = h.account_id
           WHERE c.amount_paid <> coalesce(f.paid_in, 0)
              OR coalesce(f.paid_in, 0) + coalesce(f.other, 0) <> coalesce(f.released, 0) + coalesce(f.refunded, 0) + coalesce(h.held, 0)
              OR coalesce(h.held, 0) < 0
              OR coalesce(f.released, 0) > c.total_price`,
  },
  {
    name: "per contract: paid in = the bank credits applied to it, the suspense items applied to it and its executed instalment debits",
    scope: 'domain',
    sql: `SELECT c.id, c.amount_paid, s.applied, r.applied AS from_suspense, d.applied AS debited FROM contracts c
            LEFT JOIN (SELECT contract_id, sum(applied) AS applied FROM bank_credits WHERE contract_id IS NOT NULL GROUP BY 1) s ON s.contract_id = c.id
            LEFT JOIN (SELECT contract_id, sum(amount) AS applied FROM suspense_resolutions WHERE action = 'apply' GROUP BY 1) r ON r.contract_id = c.id
            LEFT JOIN (SELECT contract_id, sum(amount) AS applied FROM settlement_instructions WHERE kind = 'debit' AND state = 'executed' GROUP BY 1) d ON d.contract_id = c.id
           WHERE c.amount_paid <> coalesce(s.applied, 0) + coalesce(r.applied, 0) + coalesce(d.applied, 0)`,
  },

  // ---- bank credits: each counted once ---------------------------------------------------
  {
    name: 'each bank credit (and executed instalment debit) is in the ledger once, for its amount (applied + suspense), and nothing else is funding',
    scope: 'domain',
    sql: `WITH f AS (
            SELECT regexp_replace(t.external_ref, '\\.suspense$', '') AS ref, count(DISTINCT t.id) AS txns, sum(p.amount) AS cash
              FROM ledger_transactions t
              JOIN ledger_postings p ON p.transaction_id = t.id
              JOIN ledger_accounts a ON a.id = p.account_id AND a.type = 'bank_cash'
             WHERE t.type = 'funding' GROUP BY 1),
          c AS (
            SELECT 'credit.' || bank_code || '.' || bank_transaction_id AS ref, amount, (applied > 0)::int + (to_suspense > 0)::int AS txns
              FROM bank_credits
            UNION ALL SELECT 'settlement.' || id, amount, 1 FROM settlement_instructions WHERE kind = 'debit' AND state = 'executed')
          SELECT coalesce(c.ref, f.ref) AS ref, c.amount, f.cash, c.txns AS expected_txns, f.txns
            FROM c FULL JOIN f ON f.ref = c.ref
           WHERE c.ref IS NULL OR f.ref IS NULL OR f.cash <> c.amount OR f.txns <> c.txns`,
  },

  // ---- lessons: each consumed and released once ------------------------------------------
  {
    name: "per contract: lessons consumed (contracts) = its lessons not withdrawn; all consumed sum to the price",
    scope: 'domain',
    sql: `SELECT c.id, c.lessons, c.lessons_consumed, c.amount_consumed, c.total_price, l.n, l.total
            FROM contracts c
            LEFT JOIN (SELECT contract_id, count(*) AS n, sum(amount) AS total FROM lessons WHERE state <> 'withdrawn' GROUP BY 1) l ON l.contract_id = c.id
           WHERE c.lessons_consumed <> coalesce(l.n, 0) OR c.amount_consumed <> coalesce(l.total, 0)
              OR (c.lessons_consumed = c.lessons AND c.amount_consumed <> c.total_price)`,
  },
  {
    name: 'per contract: released (ledger) = released lessons + tranches + completion releases',
    scope: 'domain',
    sql: `WITH led AS (
            SELECT a.contract_id, sum(p.amount) AS released FROM ledger_postings p
              JOIN ledger_transactions t ON t.id = p.transaction_id AND t.type = 'release'
              JOIN ledger_accounts a ON a.id = p.account_id AND a.type = 'contract_held' GROUP BY 1),
          dom AS (
            SELECT contract_id, sum(amount) AS released FROM (
              SELECT l.contract_id, l.amount FROM lessons l WHERE ${RELEASED_LESSON}
              UNION ALL SELECT contract_id, amount FROM contract_releases) x GROUP BY 1)
          SELECT coalesce(led.contract_id, dom.contract_id) AS contract_id, led.released AS ledger, dom.released AS domain
            FROM led FULL JOIN dom ON dom.contract_id = led.contract_id
           WHERE coalesce(led.released, 0) <> coalesce(dom.released, 0)`,
  },
  {
    name: 'each release transaction belongs to exactly one lesson, tranche or completion (no lesson counted twice)',
    scope: 'domain',
    sql: `WITH refs AS (
            SELECT l.release_txn_id AS txn FROM lessons l WHERE ${RELEASED_LESSON}
            UNION ALL SELECT ledger_txn_id FROM contract_releases WHERE ledger_txn_id IS NOT NULL)
          SELECT t.id, t.external_ref, count(r.txn) AS owners FROM ledger_transactions t LEFT JOIN refs r ON r.txn = t.id
           WHERE t.type = 'release' GROUP BY t.id, t.external_ref HAVING count(r.txn) <> 1`,
  },
  {
    name: "a released lesson's transaction is its own (lesson.<id>), or its contract's completion release (or remainder after a refund)",
    scope: 'domain',
    sql: `SELECT l.id, l.release_mode, t.external_ref FROM lessons l JOIN ledger_transactions t ON t.id = l.release_txn_id
           WHERE (l.release_mode IN ('per_lesson', 'weekly') AND t.external_ref <> 'lesson.' || l.id)
              OR (l.release_mode = 'after_completion' AND t.external_ref <> 'completion.' || l.contract_id AND t.external_ref NOT LIKE 'remainder.' || l.contract_id || '.%')
              OR l.release_mode = 'tranches'`,
  },

  // ---- movements: one instruction per release --------------------------------------------
  {
    name: 'one instruction per released per-lesson lesson, for its amount and transaction',
    scope: 'domain',
    sql: `SELECT l.id, l.amount, count(s.id) AS instructions, min(s.amount::text) AS instructed, bool_and(s.ledger_txn_id = l.release_txn_id AND l.settlement_instruction_id = s.id) AS linked
            FROM lessons l LEFT JOIN settlement_instructions s ON s.source_ref = 'lesson.' || l.id
           WHERE l.release_mode = 'per_lesson' AND l.released_at IS NOT NULL AND l.amount > 0
           GROUP BY l.id, l.amount
          HAVING count(s.id) <> 1 OR min(s.amount) <> l.amount OR NOT bool_and(s.ledger_txn_id = l.release_txn_id AND l.settlement_instruction_id = s.id)`,
  },
  {
    name: 'every lesson instruction names a released per-lesson lesson',
    scope: 'domain',
    sql: `SELECT s.id, s.source_ref FROM settlement_instructions s LEFT JOIN lessons l ON 'lesson.' || l.id = s.source_ref
           WHERE s.source_ref LIKE 'lesson.%' AND s.reinstructs_id IS NULL AND (l.id IS NULL OR l.released_at IS NULL OR l.release_mode <> 'per_lesson')`,
  },
  {
    name: "each weekly instruction nets at least one lesson, for their sum; a netted lesson is released and weekly",
    scope: 'domain',
    sql: `SELECT s.id, s.amount, count(l.id) AS lessons, sum(l.amount) AS netted,
                 bool_and(l.release_mode = 'weekly' AND l.released_at IS NOT NULL) AS all_weekly_released
            FROM settlement_instructions s LEFT JOIN lessons l ON l.settlement_instruction_id = s.id
           WHERE s.source_ref LIKE 'weekly.%' AND s.reinstructs_id IS NULL GROUP BY s.id, s.amount
          HAVING count(l.id) = 0 OR s.amount <> sum(l.amount) OR NOT bool_and(l.release_mode = 'weekly' AND l.released_at IS NOT NULL)`,
  },
  {
    name: 'one instruction per tranche and per completion release (with an amount), for its amount and transaction',
    scope: 'domain',
    sql: `SELECT r.contract_id, r.part, r.kind, r.amount, count(s.id) AS instructions
            FROM contract_releases r
            LEFT JOIN settlement_instructions s
              ON s.source_ref = CASE r.kind WHEN 'tranche' THEN 'tranche.' || r.contract_id || '.' || r.part ELSE 'completion.' || r.contract_id END
              OR (r.kind = 'completion' AND s.source_ref = 'remainder.' || r.contract_id || '.' || r.part)
           WHERE r.amount > 0 GROUP BY r.contract_id, r.part, r.kind, r.amount
          HAVING count(s.id) <> 1 OR min(s.amount) <> r.amount OR NOT bool_and(s.ledger_txn_id = r.ledger_txn_id)`,
  },
  {
    name: 'every tranche or completion instruction names a recorded contract release',
    scope: 'domain',
    sql: `SELECT s.id, s.source_ref FROM settlement_instructions s
           WHERE (s.source_ref LIKE 'tranche.%' OR s.source_ref LIKE 'completion.%' OR s.source_ref LIKE 'remainder.%') AND s.reinstructs_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM contract_releases r WHERE r.amount > 0 AND (s.source_ref =
                   CASE r.kind WHEN 'tranche' THEN 'tranche.' || r.contract_id || '.' || r.part ELSE 'completion.' || r.contract_id END
                   OR (r.kind = 'completion' AND s.source_ref = 'remainder.' || r.contract_id || '.' || r.part)))`,
  },
  {
    name: 'per institution: released (ledger, deductions included) = release and deduction instructions (a failed one sent again counted once) + weekly lessons not yet netted',
    scope: 'domain',
    sql: `WITH rel AS (
            SELECT a.institution_id, a.currency, -sum(p.amount) AS total FROM ledger_postings p
              JOIN ledger_transactions t ON t.id = p.transaction_id AND t.type IN ('release', 'deduction')
              JOIN ledger_accounts a ON a.id = p.account_id AND a.type = 'institution_unsettled' GROUP BY 1, 2),
          ins AS (SELECT institution_id, currency, sum(amount) AS total FROM settlement_instructions WHERE kind IN ('release', 'deduction') AND NOT EXISTS (SELECT 1 FROM settlement_instructions r WHERE r.reinstructs_id = settlement_instructions.id) GROUP BY 1, 2),
          waiting AS (
            SELECT l.institution_id, c.currency, sum(l.amount) AS total FROM lessons l JOIN contracts c ON c.id = l.contract_id
             WHERE l.release_mode = 'weekly' AND l.released_at IS NOT NULL AND l.settlement_instruction_id IS NULL GROUP BY 1, 2),
          keys AS (SELECT institution_id, currency FROM rel UNION SELECT institution_id, currency FROM ins UNION SELECT institution_id, currency FROM waiting)
          SELECT k.institution_id, k.currency, rel.total AS released, ins.total AS instructed, waiting.total AS waiting
            FROM keys k LEFT JOIN rel USING (institution_id, currency) LEFT JOIN ins USING (institution_id, currency) LEFT JOIN waiting USING (institution_id, currency)
           WHERE coalesce(rel.total, 0) <> coalesce(ins.total, 0) + coalesce(waiting.total, 0)`,
  },

  // ---- bank results: each executed once --------------------------------------------------
  {
    name: 'an instruction has a settlement transaction if and only if it was executed (once)',
    scope: 'domain',
    sql: `SELECT s.id, s.state, s.settlement_txn_id, t.id AS txn FROM settlement_instructions s
            LEFT JOIN ledger_transactions t ON t.external_ref = 'settlement.' || s.id
           WHERE (s.state = 'executed') <> (t.id IS NOT NULL) OR (s.state = 'executed' AND s.settlement_txn_id IS DISTINCT FROM t.id)
          UNION ALL
          SELECT NULL, 'orphan', NULL, t.id FROM ledger_transactions t
           WHERE t.external_ref LIKE 'settlement.%' AND NOT EXISTS (SELECT 1 FROM settlement_instructions s WHERE 'settlement.' || s.id = t.external_ref)`,
  },
  {
    name: 'per institution: unsettled = release and deduction instructions not executed + weekly lessons not netted; settled = executed',
    scope: 'domain',
    sql: `WITH bal AS (
            SELECT a.institution_id, a.currency, sum(b.balance) FILTER (WHERE a.type = 'institution_unsettled') AS unsettled,
                   sum(b.balance) FILTER (WHERE a.type = 'institution_settled') AS settled
              FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
             WHERE a.type IN ('institution_unsettled', 'institution_settled') GROUP BY 1, 2),
          ins AS (
            SELECT institution_id, currency, sum(amount) FILTER (WHERE state <> 'executed') AS open, sum(amount) FILTER (WHERE state = 'executed') AS executed
              FROM settlement_instructions WHERE kind IN ('release', 'deduction') AND NOT EXISTS (SELECT 1 FROM settlement_instructions r WHERE r.reinstructs_id = settlement_instructions.id) GROUP BY 1, 2),
          waiting AS (
            SELECT l.institution_id, c.currency, sum(l.amount) AS total FROM lessons l JOIN contracts c ON c.id = l.contract_id
             WHERE l.release_mode = 'weekly' AND l.released_at IS NOT NULL AND l.settlement_instruction_id IS NULL GROUP BY 1, 2),
          keys AS (SELECT institution_id, currency FROM bal UNION SELECT institution_id, currency FROM ins UNION SELECT institution_id, currency FROM waiting)
          SELECT k.*, bal.unsettled, bal.settled, ins.open, ins.executed, waiting.total AS waiting
            FROM keys k LEFT JOIN bal USING (institution_id, currency) LEFT JOIN ins USING (institution_id, currency) LEFT JOIN waiting USING (institution_id, currency)
           WHERE coalesce(bal.unsettled, 0) <> coalesce(ins.open, 0) + coalesce(waiting.total, 0)
              OR coalesce(bal.settled, 0) <> coalesce(ins.executed, 0)`,
  },
  {
    name: 'per escrow account: bank cash = credits received - movements executed out of it + debits executed into it',
    scope: 'domain',
    sql: `WITH cash AS (
            SELECT a.escrow_account_id, a.currency, sum(b.balance) AS total FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
             WHERE a.type = 'bank_cash' GROUP BY 1, 2),
          credits AS (SELECT escrow_account_id, currency, sum(amount) AS total FROM bank_credits GROUP BY 1, 2),
          paid AS (SELECT escrow_account_id, currency, sum(CASE WHEN kind = 'debit' THEN -amount ELSE amount END) AS total FROM settlement_instructions WHERE state = 'executed' GROUP BY 1, 2),
          keys AS (SELECT escrow_account_id, currency FROM cash UNION SELECT escrow_account_id, currency FROM credits UNION SELECT escrow_account_id, currency FROM paid)
          SELECT k.*, cash.total AS cash, credits.total AS credits, paid.total AS paid
            FROM keys k LEFT JOIN cash USING (escrow_account_id, currency) LEFT JOIN credits USING (escrow_account_id, currency) LEFT JOIN paid USING (escrow_account_id, currency)
           WHERE coalesce(cash.total, 0) <> coalesce(credits.total, 0) - coalesce(paid.total, 0)`,
  },
];

export interface InvariantOptions {
  /** Also the domain checks (default true): false when a test posted to the ledger by hand. */
  domain?: boolean;
}

/** How many checks `invariantViolations` runs with these options. */
export function invariantCount(opts: InvariantOptions = {}): number {
  return CHECKS.filter((c) => c.scope === 'ledger' || opts.domain !== false).length;
}

/**
 * Runs every check on one snapshot of the database at `url` (its own connection) and returns
 * the violations, one line each with up to five offending rows; empty when everything holds.
 */
export async function invariantViolations(url: string, opts: InvariantOptions = {}): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const problems: string[] = [];
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    for (const check of CHECKS) {
      if (check.scope === 'domain' && opts.domain === false) continue;
      const { rows } = await client.query(check.sql);
      if (rows.length) problems.push(`${check.name}: ${rows.length} row(s), e.g. ${JSON.stringify(rows.slice(0, 5))}`);
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  return problems;
}
