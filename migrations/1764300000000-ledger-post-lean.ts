import { MigrationInterface, QueryRunner } from 'typeorm';
import { CHAINED_CHECK_BALANCED, CHAINED_LEDGER_POST } from './1764300000000-ledger-post-lean.previous';

/**
 * Issue 18: a cheaper transfer, same guarantees. Profiled (pg_stat_user_functions, auto_explain
 * of the nested statements): `ledger_post` ran ~17 statements per item plus two SQL functions for
 * the hash, and the balance trigger probed every transaction's postings again. Now:
 * - one query reads the external reference's transaction and parses the postings with their
 *   accounts (the accounts-exist check and the per-posting account reads of before);
 * - the balance check is done on the parsed arrays (one currency without a query);
 * - the hash is `ledger_chain_digest` written inline, the postings' canonical text built without
 *   a query when they come sorted (byte for byte `ledger_chain_postings`; the verifier still
 *   calls those functions, so any divergence shows as `content_changed`);
 * - transaction, chain head and postings are written by one statement (a lost race on the
 *   external reference writes none of them);
 * - `ledger_check_balanced` (the statement trigger every insert into ledger_postings passes,
 *   ledger_post's included) checks the statement's rows only: a transaction balanced before the
 *   statement stays balanced exactly when what the statement adds balances, and postings are
 *   append-only. Same refusals (unbalanced, fewer than two postings), no index probe.
 * Lock order (accounts checked, then head, then balance rows in account order) and every result
 * of before are unchanged.
 */
export class LedgerPostLean1764300000000 implements MigrationInterface {
  name = 'LedgerPostLean1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(LEAN_LEDGER_POST);
    await q.query(CHECK_BALANCED_STATEMENT_ROWS);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(CHAINED_LEDGER_POST);
    await q.query(CHAINED_CHECK_BALANCED);
  }
}

const LEAN_LEDGER_POST = `
CREATE OR REPLACE FUNCTION ledger_post(items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  item       jsonb;
  results    jsonb := '[]'::jsonb;
  existing   record;
  head       record;
  v_k        int;
  v_err      text;
  v_details  jsonb;
  v_ref      text;
  v_prior    text[];
  v_ids      bigint[];
  v_amts     numeric[];
  v_curs     text[];
  v_acur     text[];
  v_debit    boolean[];
  v_neg      boolean[];
  v_stripes  int[];
  v_missing  int;
  v_applied  int[];
  v_deltas   numeric[];
  v_n        int;
  v_i        int;
  v_sum      numeric;
  v_mixed    boolean;
  v_delta    numeric;
  v_total    numeric;
  v_stripe   int;
  v_hint     int;
  v_chain    int;
  v_seq      bigint;
  v_txn      bigint;
  v_found    bigint;
  v_ptext    text;
  v_sorted   boolean;
  v_hash     bytea;
  sums       record;
BEGIN
  FOR v_k IN 0..coalesce(jsonb_array_length(items), 0) - 1 LOOP
    item := items->v_k;
    v_err := NULL; v_details := NULL; v_applied := '{}'; v_deltas := '{}';
    v_ref := item->>'external_ref';

    -- In one query: the transaction already written under this external reference, if any, and
    -- the postings parsed once with their accounts (a missing account is a row of nulls). OFFSET 0
    -- keeps the account lookup a primary-key probe per posting (the planner would hash them all).
    SELECT (SELECT ARRAY[t.id::text, t.request_hash] FROM ledger_transactions t WHERE t.external_ref = v_ref),
           array_agg((e.x->>'account_id')::bigint ORDER BY e.o), array_agg((e.x->>'amount')::numeric ORDER BY e.o),
           array_agg(e.x->>'currency' ORDER BY e.o), array_agg(a.currency::text ORDER BY e.o),
           array_agg(a.normal_side = 'debit' ORDER BY e.o), array_agg(a.allow_negative ORDER BY e.o),
           array_agg(a.stripes::int ORDER BY e.o), min(e.o) FILTER (WHERE a.id IS NULL)
      INTO v_prior, v_ids, v_amts, v_curs, v_acur, v_debit, v_neg, v_stripes, v_missing
      FROM jsonb_array_elements(item->'postings') WITH ORDINALITY AS e(x, o)
      LEFT JOIN LATERAL (SELECT * FROM ledger_accounts a WHERE a.id = (e.x->>'account_id')::bigint OFFSET 0) a ON true;

    -- A retried transaction (same external reference) is answered as the first time.
    IF v_prior IS NOT NULL THEN
      IF v_prior[2] = item->>'request_hash' THEN
        results := results || jsonb_build_object('ok', true, 'id', v_prior[1]::bigint, 'replayed', true);
      ELSE
        results := results || jsonb_build_object('ok', false, 'error', 'EXTERNAL_REF_CONFLICT',
          'details', jsonb_build_object('externalRef', v_ref, 'transactionId', v_prior[1]::bigint));
      END IF;
      CONTINUE;
    END IF;

    v_n := coalesce(cardinality(v_ids), 0);
    IF v_n < 2 THEN
      results := results || jsonb_build_object('ok', false, 'error', 'UNBALANCED_TRANSACTION', 'details', jsonb_build_object('reason', 'fewer than two postings'));
      CONTINUE;
    END IF;
    -- Balanced per currency: one currency (the usual case) without a query.
    v_sum := 0; v_mixed := false;
    FOR v_i IN 1..v_n LOOP
      IF v_curs[v_i] IS NOT DISTINCT FROM v_curs[1] THEN v_sum := v_sum + v_amts[v_i]; ELSE v_mixed := true; END IF;
    END LOOP;
    IF v_mixed THEN
      FOR sums IN SELECT c AS currency, sum(m) AS s FROM unnest(v_curs, v_amts) u(c, m) GROUP BY 1 LOOP
        IF sums.s <> 0 THEN
          v_err := 'UNBALANCED_TRANSACTION';
          v_details := jsonb_build_object('currency', sums.currency, 'sum', sums.s);
        END IF;
      END LOOP;
    ELSIF v_sum <> 0 THEN
      v_err := 'UNBALANCED_TRANSACTION';
      v_details := jsonb_build_object('currency', v_curs[1], 'sum', v_sum);
    END IF;

    -- Every account exists (and is visible: committed, or opened by this transaction) before any
    -- row is locked, so a refused item holds no locks and its caller may open and retry.
    IF v_err IS NULL AND v_missing IS NOT NULL THEN
      v_err := 'LEDGER_ACCOUNT_NOT_FOUND'; v_details := jsonb_build_object('accountId', v_ids[v_missing]::text);
    END IF;

    -- The chain head, locked after the accounts-exist check (a refused item holds no lock) and
    -- before any balance row. Every item of one database transaction has the same stripe hint,
    -- so a transaction holds one chain head at most: heads never close a lock cycle.
    v_hint := coalesce((item->>'stripe_hint')::int, 0);
    IF v_err IS NULL THEN
      v_chain := v_hint % 64;
      SELECT seq, last_hash INTO head FROM ledger_chain_heads WHERE chain = v_chain FOR UPDATE;
    END IF;

    IF v_err IS NULL THEN
      FOR v_i IN 1..v_n LOOP
        IF v_acur[v_i] <> v_curs[v_i] THEN
          v_err := 'CURRENCY_MISMATCH';
          v_details := jsonb_build_object('accountId', v_ids[v_i], 'accountCurrency', v_acur[v_i], 'postingCurrency', v_curs[v_i]); EXIT;
        END IF;
        v_delta := CASE WHEN v_debit[v_i] THEN v_amts[v_i] ELSE -v_amts[v_i] END;
        IF v_delta < 0 AND NOT v_neg[v_i] THEN
          IF v_stripes[v_i] = 1 THEN
            -- Check and change in one statement under the row lock.
            UPDATE ledger_balances SET balance = balance + v_delta
             WHERE account_id = v_ids[v_i] AND stripe = 0 AND balance + v_delta >= 0;
            IF NOT FOUND THEN
              SELECT balance INTO v_total FROM ledger_balances WHERE account_id = v_ids[v_i] AND stripe = 0;
              v_err := 'INSUFFICIENT_FUNDS'; v_details := jsonb_build_object('accountId', v_ids[v_i], 'balance', v_total, 'requested', -v_delta); EXIT;
            END IF;
            v_stripe := 0;
          ELSE
            -- A debit of a striped account locks all its stripes, in order, and checks the total.
            PERFORM 1 FROM ledger_balances WHERE account_id = v_ids[v_i] ORDER BY stripe FOR UPDATE;
            SELECT sum(balance) INTO v_total FROM ledger_balances WHERE account_id = v_ids[v_i];
            IF v_total + v_delta < 0 THEN
              v_err := 'INSUFFICIENT_FUNDS'; v_details := jsonb_build_object('accountId', v_ids[v_i], 'balance', v_total, 'requested', -v_delta); EXIT;
            END IF;
            v_stripe := 0;
            UPDATE ledger_balances SET balance = balance + v_delta WHERE account_id = v_ids[v_i] AND stripe = 0;
          END IF;
        ELSE
          -- A credit touches one stripe only: parallel writers rarely meet.
          v_stripe := CASE WHEN v_stripes[v_i] = 1 THEN 0 ELSE v_hint % v_stripes[v_i] END;
          UPDATE ledger_balances SET balance = balance + v_delta WHERE account_id = v_ids[v_i] AND stripe = v_stripe;
        END IF;
        v_applied := v_applied || v_stripe; v_deltas := v_deltas || v_delta;
      END LOOP;
    END IF;

    IF v_err IS NULL THEN
      -- ledger_chain_postings(item->'postings'), byte for byte, built without a query when the
      -- postings come in its order (account, amount, currency: the service sorts by account).
      v_sorted := true;
      FOR v_i IN 2..v_n LOOP
        IF ROW(v_ids[v_i - 1], v_amts[v_i - 1]::numeric(18,2), v_curs[v_i - 1]) > ROW(v_ids[v_i], v_amts[v_i]::numeric(18,2), v_curs[v_i]) THEN
          v_sorted := false; EXIT;
        END IF;
      END LOOP;
      IF v_sorted THEN
        v_ptext := '[';
        FOR v_i IN 1..v_n LOOP
          v_ptext := v_ptext || CASE WHEN v_i > 1 THEN ', ' ELSE '' END || '[' || v_ids[v_i] || ', '
            || to_json(v_amts[v_i]::numeric(18,2)::text)::text || ', ' || to_json(v_curs[v_i])::text || ']';
        END LOOP;
        v_ptext := v_ptext || ']';
      ELSE
        v_ptext := ledger_chain_postings(item->'postings');
      END IF;
      -- ledger_chain_digest, inline (the verifier calls the function). The id is drawn first so
      -- the hash covers it.
      v_txn := nextval('ledger_transactions_id_seq');
      v_seq := head.seq + 1;
      v_hash := sha256(head.last_hash || convert_to(jsonb_build_array(v_chain, v_seq, v_txn, item->>'type', v_ref,
        (item->>'reverses_id')::bigint, item->>'actor', item->>'memo', coalesce(item->'metadata', '{}'::jsonb),
        to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), v_ptext)::text, 'UTF8'));
      -- Transaction, chain head and postings in one statement; a lost race on the external
      -- reference (ON CONFLICT) writes none of them and leaves the head as it was.
      WITH t AS (
        INSERT INTO ledger_transactions (id, type, external_ref, request_hash, reverses_id, actor, memo, metadata, created_at,
                                         chain, chain_seq, prev_hash, hash)
        VALUES (v_txn, item->>'type', v_ref, item->>'request_hash', (item->>'reverses_id')::bigint,
                item->>'actor', item->>'memo', coalesce(item->'metadata', '{}'::jsonb), now(),
                v_chain, v_seq, head.last_hash, v_hash)
        ON CONFLICT (external_ref) DO NOTHING
        RETURNING id
      ), h AS (
        UPDATE ledger_chain_heads SET seq = v_seq, last_hash = v_hash, last_txn_id = v_txn
         WHERE chain = v_chain AND EXISTS (SELECT 1 FROM t)
      ), p AS (
        INSERT INTO ledger_postings (transaction_id, account_id, amount, currency)
        SELECT t.id, u.a, u.m, u.c FROM t, unnest(v_ids, v_amts, v_curs) WITH ORDINALITY AS u(a, m, c, o) ORDER BY u.o
      )
      SELECT id INTO v_found FROM t;
      IF v_found IS NULL THEN
        -- A concurrent twin committed first: undo ours and answer with theirs.
        v_err := 'REPLAYED';
      END IF;
    END IF;

    IF v_err IS NOT NULL THEN
      IF v_err <> 'REPLAYED' AND v_ref IS NOT NULL THEN
        -- A concurrent twin committed while we waited for its locks: this is a replay, not a failure.
        IF EXISTS (SELECT 1 FROM ledger_transactions WHERE external_ref = v_ref) THEN
          v_err := 'REPLAYED';
        END IF;
      END IF;
      -- We still hold the row locks: put back what this item changed.
      FOR v_i IN 1..coalesce(cardinality(v_applied), 0) LOOP
        UPDATE ledger_balances SET balance = balance - v_deltas[v_i] WHERE account_id = v_ids[v_i] AND stripe = v_applied[v_i];
      END LOOP;
      IF v_err = 'REPLAYED' THEN
        SELECT id, request_hash INTO existing FROM ledger_transactions WHERE external_ref = v_ref;
        results := results || CASE WHEN existing.request_hash = item->>'request_hash'
          THEN jsonb_build_object('ok', true, 'id', existing.id, 'replayed', true)
          ELSE jsonb_build_object('ok', false, 'error', 'EXTERNAL_REF_CONFLICT', 'details', jsonb_build_object('externalRef', v_ref)) END;
      ELSE
        results := results || jsonb_build_object('ok', false, 'error', v_err, 'details', v_details);
      END IF;
      CONTINUE;
    END IF;

    results := results || jsonb_build_object('ok', true, 'id', v_txn, 'replayed', false);
  END LOOP;
  RETURN results;
END
$fn$`;

export const CHECK_BALANCED_STATEMENT_ROWS = `
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
  -- The rows of this statement only: every transaction was balanced before it (this trigger has
  -- checked every earlier statement, and postings are never updated or deleted), so it stays
  -- balanced exactly when what this statement adds to it balances. One pass, no index probe.
  SELECT transaction_id, sum(n) < 2 AS few INTO bad
    FROM (SELECT transaction_id, currency, sum(amount) AS s, count(*) AS n FROM new_rows GROUP BY 1, 2) x
   GROUP BY transaction_id HAVING bool_or(s <> 0) OR sum(n) < 2 LIMIT 1;
  IF bad.transaction_id IS NOT NULL THEN
    IF bad.few THEN
      RAISE EXCEPTION 'ledger transaction % has fewer than two postings', bad.transaction_id USING ERRCODE = 'check_violation';
    END IF;
    RAISE EXCEPTION 'ledger transaction % does not balance', bad.transaction_id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$`;
