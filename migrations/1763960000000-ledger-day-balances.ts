import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * End-of-day balances (China days) per institution, account type and currency, so an audit of
 * a past moment reads that day's opening balances plus the postings of that one day instead of
 * summing every posting since the beginning. Written by the ledger's daily close
 * (`ledger_day_closes` says which days are closed, each exactly once); both tables are
 * append-only like the rest of the ledger. A BRIN index over the postings' time (postings are
 * appended in time order, so it stays a few pages) finds one day's postings.
 *
 * Both keys start with the day and carry `institution_id`, so the tables can be distributed by
 * institution (Citus) with the other money tables.
 */
export class LedgerDayBalances1763960000000 implements MigrationInterface {
  name = 'LedgerDayBalances1763960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_day_closes (
        day          date PRIMARY KEY,
        -- The end of the day (the next China midnight): postings created before it are in this close.
        closes_at    timestamptz NOT NULL,
        postings     bigint NOT NULL,
        balances     integer NOT NULL,
        closed_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ledger_day_balances (
        day             date NOT NULL REFERENCES ledger_day_closes(day),
        institution_id  uuid NOT NULL,
        account_type    text NOT NULL,
        currency        char(3) NOT NULL,
        -- On the account type's normal side, like ledger_balances.
        balance         numeric(18,2) NOT NULL,
        PRIMARY KEY (day, institution_id, account_type, currency)
      )`);
    for (const t of ['ledger_day_closes', 'ledger_day_balances']) {
      await q.query(`CREATE TRIGGER ${t}_no_update_delete BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`);
      await q.query(`CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()`);
    }
    await q.query(`CREATE INDEX ledger_postings_created_brin ON ledger_postings USING brin (created_at) WITH (pages_per_range = 32)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ledger_postings_created_brin`);
    await q.query(`DROP TABLE ledger_day_balances`);
    await q.query(`DROP TABLE ledger_day_closes`);
  }
}
