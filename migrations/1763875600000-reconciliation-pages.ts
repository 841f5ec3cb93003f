import { MigrationInterface, QueryRunner } from 'typeorm';

const STATUSES = `'reconciled', 'reconciled_in_transit', 'broken', 'inconsistent', 'superseded'`;

/**
 * A statement split over pages (MT940 `:28C:n/p`, camt `MsgPgntn`) is reconciled once per
 * account-day, on the day's last page: the run of an earlier page records itself as `deferred`
 * (its lines are matched by the last page's run, its balance is not a day's closing balance).
 * Matches are read by group (a reversal undoes a group; each run reads the pairs people unmatched),
 * which without an index scanned every match of every account.
 */
export class ReconciliationPages1763875600000 implements MigrationInterface {
  name = 'ReconciliationPages1763875600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reconciliation_runs DROP CONSTRAINT reconciliation_runs_status_check`);
    await q.query(`ALTER TABLE reconciliation_runs ADD CONSTRAINT reconciliation_runs_status_check CHECK (status IN (${STATUSES}, 'deferred'))`);
    await q.query(`CREATE INDEX reconciliation_matches_group_idx ON reconciliation_matches (group_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX reconciliation_matches_group_idx`);
    await q.query(`ALTER TABLE reconciliation_runs DROP CONSTRAINT reconciliation_runs_status_check`);
    await q.query(`ALTER TABLE reconciliation_runs ADD CONSTRAINT reconciliation_runs_status_check CHECK (status IN (${STATUSES}))`);
  }
}
