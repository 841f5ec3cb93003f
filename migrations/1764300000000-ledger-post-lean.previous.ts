/**
 * What migration 1764300000000 replaces, as migrations 1763807200000 and 1763940000000 left it
 * (`pg_get_functiondef` of the chained `ledger_post`): restored by its `down`.
 */
export const CHAINED_LEDGER_POST = `
CREATE OR REPLACE FUNCTION public.ledger_post(items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
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
  head       record;
  v_chain    int;
  v_hash     bytea;
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

    -- The chain head, locked after the accounts-exist check (a refused item holds no lock) and
    -- before any balance row. Every item of one database transaction has the same stripe hint,
    -- so a transaction holds one chain head at most: heads never close a lock cycle.
    IF v_err IS NULL THEN
      v_chain := coalesce((item->>'stripe_hint')::int, 0) % 64;
      SELECT seq, last_hash INTO head FROM ledger_chain_heads WHERE chain = v_chain FOR UPDATE;
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
      -- The id is drawn first so the hash covers it; a lost race on the external reference
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
$function$`;

export const CHAINED_CHECK_BALANCED = `
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
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
      END $$`;
