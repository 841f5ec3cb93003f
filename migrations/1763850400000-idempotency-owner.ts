import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An in-progress Idempotency-Key records the live process that claimed it (its liveness lock id),
 * so a key whose process died is free at once instead of after IDEMPOTENCY_LOCK_SECONDS.
 */
export class IdempotencyOwner1763850400000 implements MigrationInterface {
  name = 'IdempotencyOwner1763850400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_keys ADD COLUMN owner_instance integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_keys DROP COLUMN owner_instance`);
  }
}
