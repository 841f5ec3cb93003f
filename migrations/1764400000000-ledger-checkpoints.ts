import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hourly checkpoints of the ledger: the same shape as the daily close (balances per institution,
 * account type and currency, on the type's normal side), taken at each hour's end by the daily
 * close's job from the previous checkpoint (or close) plus that hour's postings. The audit of now
 * then adds at most about an hour of postings to the last checkpoint, and an audit of a recent
 * past moment reads the checkpoint nearest to it. Checkpoints are derived data kept for a few
 * days (the daily close is kept for ever): the job deletes the old ones, nothing updates them.
 *
 * The balances' key starts with the moment and carries `institution_id`, so the table can be
 * distributed by institution (Citus) with the other money tables; `ledger_checkpoints` is one row
 * an hour (a reference table). The time range also serves the balances' deletion.
 */
export class LedgerCheckpoints1764400000000 implements MigrationInterface {
  name = 'LedgerCheckpoints1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_checkpoints (
        -- Postings created before this moment are in the checkpoint, none created at or after it.
        closes_at    timestamptz PRIMARY KEY,
        postings     bigint NOT NULL,
        balances     integer NOT NULL,
        taken_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ledger_checkpoint_balances (
        closes_at       timestamptz NOT NULL REFERENCES ledger_checkpoints(closes_at),
        institution_id  uuid NOT NULL,
        account_type    text NOT NULL,
        currency        char(3) NOT NULL,
        balance         numeric(18,2) NOT NULL,
        PRIMARY KEY (closes_at, institution_id, account_type, currency)
      )`);
    // Never changed once taken; only whole old checkpoints are deleted.
    for (const t of ['ledger_checkpoints', 'ledger_checkpoint_balances']) {
      await q.query(`CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_checkpoint_balances`);
    await q.query(`DROP TABLE ledger_checkpoints`);
  }
}
