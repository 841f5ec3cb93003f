import { MigrationInterface, QueryRunner } from 'typeorm';
import { CHECK_BALANCED_STATEMENT_ROWS } from './1764300000000-ledger-post-lean';

/**
 * Issue 18: the postings' references checked by the balance trigger instead of two foreign keys.
 * A foreign key checks each posting row with its own query that also locks the referenced row
 * (FOR KEY SHARE: a WAL record per lock, and a MultiXact when 16 writers lock the same hot
 * institution account), 4 queries per transfer; the statement trigger every insert already
 * passes checks the statement's rows against both tables in one query, without locks. No lock
 * is needed because neither side can go away: transactions refuse DELETE and TRUNCATE already,
 * and accounts now do too (they never were deleted; ids are never reused), nor may an account's
 * id change. Same guarantee: a posting names an existing transaction and an existing account
 * (committed, or written by its own transaction), whoever writes it.
 *
 * Also: the "reversed at most once" unique index covers reversals only (a partial index: every
 * other transaction added a NULL entry to it).
 */
export class LedgerPostingsReferences1764300000001 implements MigrationInterface {
  name = 'LedgerPostingsReferences1764300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`);
    await q.query(`CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()`);
    await q.query(
      `CREATE TRIGGER ledger_accounts_no_id_change BEFORE UPDATE OF id ON ledger_accounts FOR EACH ROW
       WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION ledger_reject_change()`,
    );
    await q.query(CHECK_BALANCED_AND_REFERENCES);
    await q.query(`ALTER TABLE ledger_postings DROP CONSTRAINT ledger_postings_account_id_fkey, DROP CONSTRAINT ledger_postings_transaction_id_fkey`);
    await q.query(`ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_reverses_key`);
    await q.query(`CREATE UNIQUE INDEX ledger_transactions_reverses_key ON ledger_transactions (reverses_id) WHERE reverses_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ledger_transactions_reverses_key`);
    await q.query(`ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_reverses_key UNIQUE (reverses_id)`);
    await q.query(`ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_transaction_id_fkey FOREIGN KEY (transaction_id) REFERENCES ledger_transactions(id)`);
    await q.query(`ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_account_id_fkey FOREIGN KEY (account_id) REFERENCES ledger_accounts(id)`);
    await q.query(CHECK_BALANCED_STATEMENT_ROWS);
    for (const t of ['no_id_change', 'no_truncate', 'no_delete']) await q.query(`DROP TRIGGER ledger_accounts_${t} ON ledger_accounts`);
  }
}

const CHECK_BALANCED_AND_REFERENCES = `
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
  -- The rows of this statement only: every transaction was balanced before it (this trigger has
  -- checked every earlier statement, and postings are never updated or deleted), so it stays
  -- balanced exactly when what this statement adds to it balances. One pass, no index probe.
  SELECT transaction_id, sum(n) < 2 AS few INTO bad
    FROM (SELECT transaction_id, currency, sum(amount) AS s, count(*) AS n FROM new_rows GROUP BY 1, 2) x
   GROUP BY transaction_id HAVING bool_or(s <> 0) OR sum(n) < 2 LIMIT 1;
  IF bad.transaction_id IS NOT NULL THEN
    IF bad.few THEN
      RAISE EXCEPTION 'ledger transaction % has fewer than two postings', bad.transaction_id USING ERRCODE = 'check_violation';
    END IF;
    RAISE EXCEPTION 'ledger transaction % does not balance', bad.transaction_id USING ERRCODE = 'check_violation';
  END IF;
  -- What the two foreign keys checked, without their row locks (neither side can be deleted).
  SELECT n.transaction_id, n.account_id INTO bad FROM new_rows n
   WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = n.transaction_id)
      OR NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = n.account_id)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger posting of transaction % on account %: no such transaction or account', bad.transaction_id, bad.account_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$`;
