import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A contract keeps the terms it was signed under: the policy version's code and number, its
 * deemed-confirmation window and its release cadence are copied onto the contract at signing.
 * The contracts module then never reads `jurisdiction_policies` (the policies module owns it),
 * and a later policy version can never change a signed contract, which is also the legal rule.
 * Existing contracts get the terms of their policy version (policies are append-only, so this
 * is exactly what they were signed under). A trigger refuses any later change of the terms.
 */
export class ContractTerms1763854000000 implements MigrationInterface {
  name = 'ContractTerms1763854000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contracts ADD COLUMN policy_code char(6), ADD COLUMN policy_version integer,
                     ADD COLUMN deemed_confirmation_days integer, ADD COLUMN release_cadence jsonb`);
    await q.query(`
      UPDATE contracts c SET policy_code = p.code, policy_version = p.version,
             deemed_confirmation_days = (p.rules->>'deemedConfirmationWorkingDays')::int, release_cadence = p.rules->'releaseCadence'
        FROM jurisdiction_policies p WHERE p.id = c.policy_id`);
    await q.query(`
      ALTER TABLE contracts ALTER COLUMN policy_code SET NOT NULL, ALTER COLUMN policy_version SET NOT NULL,
        ALTER COLUMN deemed_confirmation_days SET NOT NULL, ALTER COLUMN release_cadence SET NOT NULL,
        ADD CONSTRAINT contracts_deemed_days_check CHECK (deemed_confirmation_days >= 0),
        ADD CONSTRAINT contracts_release_cadence_check CHECK (jsonb_typeof(release_cadence) = 'object' AND release_cadence ? 'kind')`);
    await q.query(`
      CREATE FUNCTION reject_contract_terms_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'contract terms are fixed at signing (contract %)', OLD.id USING ERRCODE = 'check_violation';
      END $$`);
    // Fires only when an UPDATE names these columns (and changes them): consuming lessons never pays for it.
    await q.query(`
      CREATE TRIGGER contracts_terms_fixed BEFORE UPDATE OF policy_id, policy_code, policy_version, deemed_confirmation_days, release_cadence ON contracts
        FOR EACH ROW WHEN (OLD.policy_id IS DISTINCT FROM NEW.policy_id OR OLD.policy_code IS DISTINCT FROM NEW.policy_code
          OR OLD.policy_version IS DISTINCT FROM NEW.policy_version OR OLD.deemed_confirmation_days IS DISTINCT FROM NEW.deemed_confirmation_days
          OR OLD.release_cadence IS DISTINCT FROM NEW.release_cadence)
        EXECUTE FUNCTION reject_contract_terms_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER contracts_terms_fixed ON contracts`);
    await q.query(`DROP FUNCTION reject_contract_terms_change()`);
    await q.query(`ALTER TABLE contracts DROP COLUMN policy_code, DROP COLUMN policy_version, DROP COLUMN deemed_confirmation_days, DROP COLUMN release_cadence`);
  }
}
