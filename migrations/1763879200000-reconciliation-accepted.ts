import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A third state of reconciliation exceptions, `accepted`: a timing difference a person acknowledged
 * but that has not cleared (the bank line whose record arrives later, the record the bank books later).
 * It was `resolved`, so its effect stopped explaining the balance (the next statement broke for it)
 * and later runs no longer matched it. The update trigger of 1763872000000 already admits changes of
 * state and updated_at only. Exceptions resolved by a timing difference still in force (the last
 * resolution, not reversed) whose line or record no match took since are accepted ones. The runs'
 * hot reads (open and accepted exceptions of an account) get their partial index widened.
 */
export class ReconciliationAccepted1763879200000 implements MigrationInterface {
  name = 'ReconciliationAccepted1763879200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reconciliation_exceptions DROP CONSTRAINT reconciliation_exceptions_state_check`);
    await q.query(`ALTER TABLE reconciliation_exceptions ADD CONSTRAINT reconciliation_exceptions_state_check CHECK (state IN ('open', 'accepted', 'resolved'))`);
    await q.query(`DROP INDEX reconciliation_exceptions_account_idx`);
    await q.query(`CREATE INDEX reconciliation_exceptions_account_idx ON reconciliation_exceptions (escrow_account_id, business_date) WHERE state IN ('open', 'accepted')`);
    await q.query(`
      UPDATE reconciliation_exceptions x SET state = 'accepted', updated_at = now()
       WHERE x.state = 'resolved'
         AND (SELECT r.action FROM reconciliation_resolutions r
               WHERE r.exception_id = x.id AND r.action <> 'reversal'
                 AND NOT EXISTS (SELECT 1 FROM reconciliation_resolutions v WHERE v.reverses_id = r.id)
               ORDER BY r.created_at DESC, r.id DESC LIMIT 1) = 'timing_difference'
         AND NOT EXISTS (SELECT 1 FROM reconciliation_matches m WHERE m.statement_id = x.statement_id AND m.line = x.line AND m.reversed_at IS NULL)
         AND NOT EXISTS (SELECT 1 FROM reconciliation_matches m WHERE m.source = x.source AND m.record_id = x.record_id AND m.reversed_at IS NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Before this migration an accepted timing difference was resolved.
    await q.query(`UPDATE reconciliation_exceptions SET state = 'resolved', updated_at = now() WHERE state = 'accepted'`);
    await q.query(`DROP INDEX reconciliation_exceptions_account_idx`);
    await q.query(`CREATE INDEX reconciliation_exceptions_account_idx ON reconciliation_exceptions (escrow_account_id, business_date) WHERE state = 'open'`);
    await q.query(`ALTER TABLE reconciliation_exceptions DROP CONSTRAINT reconciliation_exceptions_state_check`);
    await q.query(`ALTER TABLE reconciliation_exceptions ADD CONSTRAINT reconciliation_exceptions_state_check CHECK (state IN ('open', 'resolved'))`);
  }
}
