import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16: ledger transactions form hash chains, computed by `ledger_post` in the statement
 * that writes them. There are 64 chains; a transaction joins the chain of its database
 * transaction's stripe hint (random per database transaction, the same for all of its postings),
 * so parallel writers rarely meet on a chain head, and the writers that do would also have met
 * on the balance stripe they credit. The head row is locked after the accounts-exist check and
 * before any balance row (one lock order: head, then balances), and only until the commit.
 *
 * hash = sha256(previous hash of the chain || canonical JSON of [chain, seq, id, type, external
 * reference, reversed id, actor, memo, metadata, created_at (UTC, microseconds), postings sorted
 * by account, amount, currency]). Existing transactions are chained here in id order (chain =
 * id % 64), the only time rows of the ledger are updated (the append-only trigger is disabled for
 * that statement only). Verification recomputes each row with the same SQL functions.
 */
export class LedgerHashChain1763940000000 implements MigrationInterface {
  name = 'LedgerHashChain1763940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_transactions ADD COLUMN chain smallint, ADD COLUMN chain_seq bigint, ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea`);
    await q.query(`
      CREATE TABLE ledger_chain_heads (
        chain        smallint PRIMARY KEY CHECK (chain BETWEEN 0 AND 63),
        seq          bigint NOT NULL DEFAULT 0,
        last_txn_id  bigint,
        last_hash    bytea NOT NULL
      ) WITH (fillfactor = 50)`);
    await q.query(`INSERT INTO ledger_chain_heads (chain, last_hash) SELECT c, ${GENESIS('c')} FROM generate_series(0, 63) c`);
    await q.query(CHAIN_FUNCTIONS);
    await q.query(`ALTER TABLE ledger_transactions DISABLE TRIGGER ledger_transactions_no_update_delete`);
    await q.query(BACKFILL);
    await q.query(`ALTER TABLE ledger_transactions ENABLE TRIGGER ledger_transactions_no_update_delete`);
    await q.query(`CREATE UNIQUE INDEX ledger_transactions_chain_key ON ledger_transactions (chain, chain_seq)`);
    await q.query(CHAINED_LEDGER_POST);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(PREVIOUS_LEDGER_POST);
    await q.query(`DROP INDEX ledger_transactions_chain_key`);
    await q.query(`ALTER TABLE ledger_transactions DROP COLUMN chain, DROP COLUMN chain_seq, DROP COLUMN prev_hash, DROP COLUMN hash`);
    await q.query(`DROP FUNCTION ledger_chain_digest(bytea, int, bigint, bigint, text, text, bigint, text, text, jsonb, timestamptz, text)`);
    await q.query(`DROP FUNCTION ledger_chain_stored_postings(bigint)`);
    await q.query(`DROP FUNCTION ledger_chain_postings(jsonb)`);
    await q.query(`DROP TABLE ledger_chain_heads`);
  }
}

/** The hash a chain starts from (seq 0). */
const GENESIS = (chain: string) => `sha256(convert_to('escrow-supervision ledger chain ' || ${chain}::text, 'UTF8'))`;

const CHAIN_FUNCTIONS = `
CREATE FUNCTION ledger_chain_postings(p_postings jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT coalesce(jsonb_agg(jsonb_build_array(s.a, s.amt::text, s.cur) ORDER BY s.a, s.amt, s.cur), '[]'::jsonb)::text
    FROM (SELECT (x->>'account_id')::bigint AS a, (x->>'amount')::numeric(18,2) AS amt, x->>'currency' AS cur
            FROM jsonb_array_elements(p_postings) x) s
$f$;
CREATE FUNCTION ledger_chain_stored_postings(p_txn bigint) RETURNS text LANGUAGE sql STABLE AS $f$
  SELECT ledger_chain_postings(coalesce(jsonb_agg(jsonb_build_object('account_id', account_id, 'amount', amount::text, 'currency', currency)), '[]'::jsonb))
    FROM ledger_postings WHERE transaction_id = p_txn
$f$;
CREATE FUNCTION ledger_chain_digest(p_prev bytea, p_chain int, p_seq bigint, p_id bigint, p_type text, p_external_ref text,
    p_reverses_id bigint, p_actor text, p_memo text, p_metadata jsonb, p_created_at timestamptz, p_postings text)
  RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
  SELECT sha256(p_prev || convert_to(jsonb_build_array(p_chain, p_seq, p_id, p_type, p_external_ref, p_reverses_id, p_actor, p_memo,
    p_metadata, to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), p_postings)::text, 'UTF8'))
$f$;
`;

const BACKFILL = `
DO $b$
DECLARE t record; h record; v_chain int; v_hash bytea;
BEGIN
  FOR t IN SELECT * FROM ledger_transactions ORDER BY id LOOP
    v_chain := (t.id % 64)::int;
    SELECT seq, last_hash INTO h FROM ledger_chain_heads WHERE chain = v_chain;
    v_hash := ledger_chain_digest(h.last_hash, v_chain, h.seq + 1, t.id, t.type, t.external_ref, t.reverses_id, t.actor, t.memo,
      t.metadata, t.created_at, ledger_chain_stored_postings(t.id));
    UPDATE ledger_transactions SET chain = v_chain, chain_seq = h.seq + 1, prev_hash = h.last_hash, hash = v_hash WHERE id = t.id;
    UPDATE ledger_chain_heads SET seq = h.seq + 1, last_hash = v_hash, last_txn_id = t.id WHERE chain = v_chain;
  END LOOP;
END
$b$`;

/** ledger_post as migration 1763836000000 left it (restored by down). */
const PREVIOUS_LEDGER_POST = `
CREATE OR REPLACE FUNCTION ledger_post(items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  item       jsonb;
  p          jsonb;
  results    jsonb := '[]'::jsonb;
  existing   record;
  acct       record;
  v_err      text;
  v_details  jsonb;
  v_delta    numeric;
  v_total    numeric;
  v_stripe   int;
  v_txn      bigint;
  applied    jsonb;
  u          jsonb;
  sums       record;
BEGIN
  FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
    v_err := NULL; v_details := NULL; applied := '[]'::jsonb;

    -- A retried transaction (same external reference) is answered as the first time.
    IF item->>'external_ref' IS NOT NULL THEN
      SELECT id, request_hash INTO existing FROM ledger_transactions WHERE external_ref = item->>'external_ref';
      IF FOUND THEN
        IF existing.request_hash = item->>'request_hash' THEN
          results := results || jsonb_build_object('ok', true, 'id', existing.id, 'replayed', true);
        ELSE
          results := results || jsonb_build_object('ok', false, 'error', 'EXTERNAL_REF_CONFLICT',
            'details', jsonb_build_object('externalRef', item->>'external_ref', 'transactionId', existing.id));
        END IF;
        CONTINUE;
      END IF;
    END IF;

    IF jsonb_array_length(item->'postings') < 2 THEN
      results := results || jsonb_build_object('ok', false, 'error', 'UNBALANCED_TRANSACTION', 'details', jsonb_build_object('reason', 'fewer than two postings'));
      CONTINUE;
    END IF;
    FOR sums IN SELECT x->>'currency' AS currency, sum((x->>'amount')::numeric) AS s
                  FROM jsonb_array_elements(item->'postings') x GROUP BY 1 LOOP
      IF sums.s <> 0 THEN
        v_err := 'UNBALANCED_TRANSACTION';
        v_details := jsonb_build_object('currency', sums.currency, 'sum', sums.s);
      END IF;
    END LOOP;

    -- Every account exists (and is visible: committed, or opened by this transaction) before any
    -- balance row is locked, so a refused item holds no locks and its caller may open and retry.
    IF v_err IS NULL THEN
      SELECT x->>'account_id' AS missing INTO acct FROM jsonb_array_elements(item->'postings') x
       WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = (x->>'account_id')::bigint) LIMIT 1;
      IF FOUND THEN
        v_err := 'LEDGER_ACCOUNT_NOT_FOUND'; v_details := jsonb_build_object('accountId', acct.missing);
      END IF;
    END IF;

    IF v_err IS NULL THEN
      FOR p IN SELECT value FROM jsonb_array_elements(item->'postings') LOOP
        SELECT id, currency, normal_side, allow_negative, stripes INTO acct FROM ledger_accounts WHERE id = (p->>'account_id')::bigint;
        IF NOT FOUND THEN
          v_err := 'LEDGER_ACCOUNT_NOT_FOUND'; v_details := jsonb_build_object('accountId', p->>'account_id'); EXIT;
        END IF;
        IF acct.currency <> p->>'currency' THEN
          v_err := 'CURRENCY_MISMATCH'; v_details := jsonb_build_object('accountId', acct.id, 'accountCurrency', acct.currency, 'postingCurrency', p->>'currency'); EXIT;
        END IF;
        v_delta := (p->>'amount')::numeric * CASE WHEN acct.normal_side = 'debit' THEN 1 ELSE -1 END;
        IF v_delta < 0 AND NOT acct.allow_negative THEN
          IF acct.stripes = 1 THEN
            -- Check and change in one statement under the row lock.
            UPDATE ledger_balances SET balance = balance + v_delta
             WHERE account_id = acct.id AND stripe = 0 AND balance + v_delta >= 0;
            IF NOT FOUND THEN
              SELECT balance INTO v_total FROM ledger_balances WHERE account_id = acct.id AND stripe = 0;
              v_err := 'INSUFFICIENT_FUNDS'; v_details := jsonb_build_object('accountId', acct.id, 'balance', v_total, 'requested', -v_delta); EXIT;
            END IF;
            v_stripe := 0;
          ELSE
            -- A debit of a striped account locks all its stripes, in order, and checks the total.
            PERFORM 1 FROM ledger_balances WHERE account_id = acct.id ORDER BY stripe FOR UPDATE;
            SELECT sum(balance) INTO v_total FROM ledger_balances WHERE account_id = acct.id;
            IF v_total + v_delta < 0 THEN
              v_err := 'INSUFFICIENT_FUNDS'; v_details := jsonb_build_object('accountId', acct.id, 'balance', v_total, 'requested', -v_delta); EXIT;
            END IF;
            v_stripe := 0;
            UPDATE ledger_balances SET balance = balance + v_delta WHERE account_id = acct.id AND stripe = 0;
          END IF;
        ELSE
          -- A credit touches one stripe only: parallel writers rarely meet.
          v_stripe := CASE WHEN acct.stripes = 1 THEN 0 ELSE (coalesce((item->>'stripe_hint')::int, 0) % acct.stripes) END;
          UPDATE ledger_balances SET balance = balance + v_delta WHERE account_id = acct.id AND stripe = v_stripe;
        END IF;
        applied := applied || jsonb_build_object('a', acct.id, 's', v_stripe, 'd', v_delta);
      END LOOP;
    END IF;

    IF v_err IS NULL THEN
      INSERT INTO ledger_transactions (type, external_ref, request_hash, reverses_id, actor, memo, metadata)
      VALUES (item->>'type', item->>'external_ref', item->>'request_hash', (item->>'reverses_id')::bigint,
              item->>'actor', item->>'memo', coalesce(item->'metadata', '{}'::jsonb))
      ON CONFLICT (external_ref) DO NOTHING
      RETURNING id INTO v_txn;
      IF v_txn IS NULL THEN
        -- A concurrent twin committed first: undo ours and answer with theirs.
        v_err := 'REPLAYED';
      END IF;
    END IF;

    IF v_err IS NOT NULL AND v_err <> 'REPLAYED' AND item->>'external_ref' IS NOT NULL
       AND EXISTS (SELECT 1 FROM ledger_transactions WHERE external_ref = item->>'external_ref') THEN
      -- A concurrent twin committed while we waited for its locks: this is a replay, not a failure.
      v_err := 'REPLAYED';
    END IF;

    IF v_err IS NOT NULL THEN
      -- We still hold the row locks: put back what this item changed.
      FOR u IN SELECT value FROM jsonb_array_elements(applied) LOOP
        UPDATE ledger_balances SET balance = balance - (u->>'d')::numeric WHERE account_id = (u->>'a')::bigint AND stripe = (u->>'s')::int;
      END LOOP;
      IF v_err = 'REPLAYED' THEN
        SELECT id, request_hash INTO existing FROM ledger_transactions WHERE external_ref = item->>'external_ref';
        results := results || CASE WHEN existing.request_hash = item->>'request_hash'
          THEN jsonb_build_object('ok', true, 'id', existing.id, 'replayed', true)
          ELSE jsonb_build_object('ok', false, 'error', 'EXTERNAL_REF_CONFLICT', 'details', jsonb_build_object('externalRef', item->>'external_ref')) END;
      ELSE
        results := results || jsonb_build_object('ok', false, 'error', v_err, 'details', v_details);
      END IF;
      CONTINUE;
    END IF;

    INSERT INTO ledger_postings (transaction_id, account_id, amount, currency)
    SELECT v_txn, (x->>'account_id')::bigint, (x->>'amount')::numeric, x->>'currency' FROM jsonb_array_elements(item->'postings') x;
    results := results || jsonb_build_object('ok', true, 'id', v_txn, 'replayed', false);
  END LOOP;
  RETURN results;
END
$fn$`;

const HEAD_VARIABLES = `  head       record;
  v_chain    int;
  v_hash     bytea;
`;

const HEAD_LOCK = `    -- The chain head, locked after the accounts-exist check (a refused item holds no lock) and
    -- before any balance row. Every item of one database transaction has the same stripe hint,
    -- so a transaction holds one chain head at most: heads never close a lock cycle.
    IF v_err IS NULL THEN
      v_chain := coalesce((item->>'stripe_hint')::int, 0) % 64;
      SELECT seq, last_hash INTO head FROM ledger_chain_heads WHERE chain = v_chain FOR UPDATE;
    END IF;

`;

const CHAINED_INSERT = `      -- The id is drawn first so the hash covers it; a lost race on the external reference
      -- (ON CONFLICT) leaves the head as it was.
      v_txn := nextval('ledger_transactions_id_seq');
      v_hash := ledger_chain_digest(head.last_hash, v_chain, head.seq + 1, v_txn, item->>'type', item->>'external_ref',
        (item->>'reverses_id')::bigint, item->>'actor', item->>'memo', coalesce(item->'metadata', '{}'::jsonb), now(),
        ledger_chain_postings(item->'postings'));
      INSERT INTO ledger_transactions (id, type, external_ref, request_hash, reverses_id, actor, memo, metadata, created_at,
                                       chain, chain_seq, prev_hash, hash)
      VALUES (v_txn, item->>'type', item->>'external_ref', item->>'request_hash', (item->>'reverses_id')::bigint,
              item->>'actor', item->>'memo', coalesce(item->'metadata', '{}'::jsonb), now(),
              v_chain, head.seq + 1, head.last_hash, v_hash)
      ON CONFLICT (external_ref) DO NOTHING
      RETURNING id INTO v_txn;
      IF v_txn IS NOT NULL THEN
        UPDATE ledger_chain_heads SET seq = head.seq + 1, last_hash = v_hash, last_txn_id = v_txn WHERE chain = v_chain;
      END IF;
`;

const DECLARE_ANCHOR = `  sums       record;\n`;
const LOCK_ANCHOR = `    IF v_err IS NULL THEN\n      FOR p IN SELECT value FROM jsonb_array_elements(item->'postings') LOOP`;
const INSERT_ANCHOR = `      INSERT INTO ledger_transactions (type, external_ref, request_hash, reverses_id, actor, memo, metadata)
      VALUES (item->>'type', item->>'external_ref', item->>'request_hash', (item->>'reverses_id')::bigint,
              item->>'actor', item->>'memo', coalesce(item->'metadata', '{}'::jsonb))
      ON CONFLICT (external_ref) DO NOTHING
      RETURNING id INTO v_txn;
`;

/** The previous function with the chain: head variables, the head lock, the chained insert. */
const CHAINED_LEDGER_POST = [
  [DECLARE_ANCHOR, DECLARE_ANCHOR + HEAD_VARIABLES],
  [LOCK_ANCHOR, HEAD_LOCK + LOCK_ANCHOR],
  [INSERT_ANCHOR, CHAINED_INSERT],
].reduce((fn, [anchor, text]) => {
  if (fn.split(anchor).length !== 2) throw new Error('ledger hash chain migration: an anchor of ledger_post is not found exactly once');
  return fn.replace(anchor, text);
}, PREVIOUS_LEDGER_POST);
