import { MigrationInterface, QueryRunner } from 'typeorm';

const chainFunction = (pick: string) => `
CREATE OR REPLACE FUNCTION action_log_chain() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE h record;
BEGIN
  NEW.chain := ${pick};
  SELECT seq, last_hash INTO h FROM action_log_heads WHERE chain = NEW.chain FOR UPDATE;
  NEW.chain_seq := h.seq + 1;
  NEW.prev_hash := h.last_hash;
  NEW.hash := action_log_digest(h.last_hash, NEW);
  UPDATE action_log_heads SET seq = NEW.chain_seq, prev_hash = h.last_hash, last_hash = NEW.hash, last_id = NEW.id WHERE chain = NEW.chain;
  RETURN NEW;
END $f$`;

/**
 * Issue 18: the API writes the action log rows of concurrent calls in one statement (group
 * commit). With a random chain per row such a statement would lock several chain heads in a
 * random order, and two of them (two API processes) could deadlock. The chain is now chosen
 * per transaction (its id modulo 64): every row of one transaction goes to one chain, so a
 * transaction holds one head; concurrent single-row writers, whose transaction ids follow one
 * another, still spread over the 64 chains. Verification is unchanged (it walks every head).
 */
export class ActionLogChainPerTransaction1764100000000 implements MigrationInterface {
  name = 'ActionLogChainPerTransaction1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(chainFunction(`(txid_current() % 64)::smallint`));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(chainFunction(`floor(random() * 64)::smallint`));
  }
}
