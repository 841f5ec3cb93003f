import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The escrow ledger: accounts, append-only transactions and postings (signed, debit
 * positive; every transaction sums to zero per currency), and balance rows kept exact in the
 * same statement as the postings. Hot accounts (the institution side, bank cash) have
 * several balance "stripes" so parallel credits do not queue behind one row lock; their
 * balance is the sum of the stripes.
 */
export class Ledger1763807200000 implements MigrationInterface {
  name = 'Ledger1763807200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_accounts (
        id                 bigserial PRIMARY KEY,
        code               text NOT NULL CONSTRAINT ledger_accounts_code_key UNIQUE,
        type               text NOT NULL CHECK (type IN ('contract_held', 'institution_unsettled', 'institution_settled',
                             'refund_payable', 'bank_cash', 'suspense', 'risk_reserve', 'bank_adjustment')),
        currency           char(3) NOT NULL,
        normal_side        text NOT NULL CHECK (normal_side IN ('debit', 'credit')),
        allow_negative     boolean NOT NULL,
        stripes            smallint NOT NULL CHECK (stripes BETWEEN 1 AND 64),
        escrow_account_id  uuid,
        institution_id     uuid,
        contract_id        uuid,
        created_at         timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ledger_accounts_institution_idx ON ledger_accounts (institution_id, type)`);
    await q.query(`CREATE INDEX ledger_accounts_contract_idx ON ledger_accounts (contract_id)`);
    await q.query(`CREATE INDEX ledger_accounts_escrow_idx ON ledger_accounts (escrow_account_id, type)`);
    // Balance on the account's normal side (positive = money there); fillfactor leaves room for HOT updates.
    await q.query(`
      CREATE TABLE ledger_balances (
        account_id  bigint NOT NULL REFERENCES ledger_accounts(id),
        stripe      smallint NOT NULL,
        balance     numeric(18,2) NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, stripe)
      ) WITH (fillfactor = 50)`);
    await q.query(`
      CREATE TABLE ledger_transactions (
        id            bigserial PRIMARY KEY,
        type          text NOT NULL CHECK (type IN ('funding', 'release', 'refund', 'settlement', 'reversal', 'adjustment', 'transfer')),
        external_ref  text CONSTRAINT ledger_transactions_external_ref_key UNIQUE,
        request_hash  text NOT NULL,
        reverses_id   bigint CONSTRAINT ledger_transactions_reverses_key UNIQUE REFERENCES ledger_transactions(id),
        actor         text,
        memo          text,
        metadata      jsonb NOT NULL DEFAULT '{}',
        created_at    timestamptz NOT NULL DEFAULT now(),
        CHECK ((type = 'reversal') = (reverses_id IS NOT NULL))
      )`);
    await q.query(`
      CREATE TABLE ledger_postings (
        id              bigserial PRIMARY KEY,
        transaction_id  bigint NOT NULL REFERENCES ledger_transactions(id),
        account_id      bigint NOT NULL REFERENCES ledger_accounts(id),
        amount          numeric(18,2) NOT NULL CHECK (amount <> 0),
        currency        char(3) NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ledger_postings_account_idx ON ledger_postings (account_id, id)`);
    await q.query(`CREATE INDEX ledger_postings_account_time_idx ON ledger_postings (account_id, created_at)`);
    await q.query(`CREATE INDEX ledger_postings_txn_idx ON ledger_postings (transaction_id)`);

    // Append-only, enforced by the database: corrections are reversals.
    await q.query(`
      CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const t of ['ledger_transactions', 'ledger_postings']) {
      await q.query(`CREATE TRIGGER ${t}_no_update_delete BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`);
      await q.query(`CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()`);
    }
    // Double entry, enforced by the database: the postings of every transaction written by a
    // statement sum to zero per currency, and there are at least two of them.
    await q.query(`
      CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE bad bigint;
      BEGIN
        SELECT p.transaction_id INTO bad
          FROM ledger_postings p WHERE p.transaction_id IN (SELECT DISTINCT transaction_id FROM new_rows)
         GROUP BY p.transaction_id, p.currency HAVING sum(p.amount) <> 0 LIMIT 1;
        IF bad IS NOT NULL THEN
          RAISE EXCEPTION 'ledger transaction % does not balance', bad USING ERRCODE = 'check_violation';
        END IF;
        SELECT transaction_id INTO bad FROM new_rows GROUP BY transaction_id HAVING count(*) < 2 LIMIT 1;
        IF bad IS NOT NULL THEN
          RAISE EXCEPTION 'ledger transaction % has fewer than two postings', bad USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_balanced()`);

    // And no transaction commits without its postings.
    await q.query(`
      CREATE FUNCTION ledger_check_has_postings() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT count(*) FROM ledger_postings WHERE transaction_id = NEW.id) < 2 THEN
          RAISE EXCEPTION 'ledger transaction % has fewer than two postings', NEW.id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER ledger_transactions_have_postings AFTER INSERT ON ledger_transactions
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_has_postings()`);

    await q.query(LEDGER_POST_FUNCTION);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ledger_post(jsonb)`);
    await q.query(`DROP TABLE ledger_postings`);
    await q.query(`DROP TABLE ledger_transactions`);
    await q.query(`DROP TABLE ledger_balances`);
    await q.query(`DROP TABLE ledger_accounts`);
    await q.query(`DROP FUNCTION ledger_check_balanced()`);
    await q.query(`DROP FUNCTION ledger_check_has_postings()`);
    await q.query(`DROP FUNCTION ledger_reject_change()`);
  }
}

/**
 * Applies a batch of journal transactions in one statement (one round trip, one database
 * transaction). Each item: { type, external_ref?, request_hash, reverses_id?, actor?, memo?,
 * metadata?, stripe_hint, postings: [{ account_id, amount, currency }] } with postings sorted
 * by account id (the lock order). Items succeed or fail on their own; a failed item changes
 * nothing. Returns one result per item: { ok, id, replayed } or { ok: false, error, details }.
 */
const LEDGER_POST_FUNCTION = `
CREATE FUNCTION ledger_post(items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
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
