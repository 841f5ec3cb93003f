import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bank signing secrets sealed at rest (AES-256-GCM, key ring from BANK_SECRET_KEYS), and a
 * history of every change to a bank.
 *
 * A migration cannot read the key ring, so it only makes room: `sealed_secrets` holds the sealed
 * secrets, and the plaintext `secrets` column becomes nullable. The service's first boot seals
 * the plaintext rows and empties `secrets` (BanksService.sealAtRest, also run by
 * `npm run cli -- banks:reencrypt`); new code never writes it. A later migration drops `secrets`
 * once every deployment has booted this version.
 */
export class BankSecrets1763843200000 implements MigrationInterface {
  name = 'BankSecrets1763843200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE banks ALTER COLUMN secrets DROP NOT NULL,
                     ADD COLUMN sealed_secrets jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(sealed_secrets) = 'array'),
                     ADD CONSTRAINT banks_has_a_secret CHECK (secrets IS NOT NULL OR jsonb_array_length(sealed_secrets) >= 1)`);
    await q.query(`
      CREATE TABLE bank_events (
        id         bigserial PRIMARY KEY,
        bank_code  text NOT NULL REFERENCES banks(code),
        action     text NOT NULL CHECK (action IN ('registered', 'secret_added', 'secret_retired', 'updated', 'disabled', 'enabled',
                                                    'secrets_sealed', 'secrets_resealed')),
        actor_id   uuid,
        details    jsonb NOT NULL DEFAULT '{}'::jsonb,
        at         timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX bank_events_bank_idx ON bank_events (bank_code, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Sealed secrets cannot be turned back into plaintext here (no key ring): refuse rather than lose them.
    const [{ n }]: { n: number }[] = await q.query(`SELECT count(*)::int AS n FROM banks WHERE secrets IS NULL`);
    if (n > 0) throw new Error(`${n} bank(s) have only sealed signing secrets; reverting would lose them`);
    await q.query(`DROP TABLE bank_events`);
    await q.query(`ALTER TABLE banks DROP CONSTRAINT banks_has_a_secret, DROP COLUMN sealed_secrets, ALTER COLUMN secrets SET NOT NULL`);
  }
}
