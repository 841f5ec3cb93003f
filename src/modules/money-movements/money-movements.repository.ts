import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsAffected } from '@infra/database/sql';
import { rowsOf } from '@infra/database/sql';
import { MOVEMENT_EVENTS, MovementEvent, DELIVERABLE_STATES } from './movement-state-machine';
import { MovementRow } from './money-movement.types';

/** An executed movement as reconciliation reads it (the China day it was executed on is its value date). */
export interface ExecutedMovementRow {
  id: string;
  kind: string;
  escrow_account_id: string;
  amount: string;
  currency: string;
  end_to_end_ref: string;
  bank_transaction_id: string | null;
  value_date: string;
  executed_at: Date;
}

const EXECUTED = `id, kind, escrow_account_id, amount::text, currency, end_to_end_ref, bank_transaction_id,
  to_char(executed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS value_date, executed_at`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface NewMovement {
  kind: string;
  amount: string;
  currency: string;
  endToEndRef: string;
  sourceRef: string;
  escrowAccountId: string;
  institutionId: string;
  contractId: string | null;
  districtCode: string;
  escrowBankCode: string;
  escrowAccountNumber: string;
  escrowAccountName: string;
  payeeBank: string | null;
  payeeAccountNumber: string | null;
  payeeAccountName: string | null;
  ledgerTxnId: string | null;
  notBefore: string | null;
  reinstructs?: { id: string; reason: string; by: string } | null;
}

export const COLUMNS = `id, kind, state, amount::text, currency, end_to_end_ref, source_ref, escrow_account_id, institution_id, contract_id, district_code,
  escrow_bank_code, escrow_account_number, escrow_account_name, payee_bank, payee_account_number, payee_account_name, sequence::text,
  to_char(not_before, 'YYYY-MM-DD') AS not_before, ledger_txn_id::text, settlement_txn_id::text, failure_txn_id::text, bank_transaction_id,
  failure_code, attempts, last_attempt_at, next_attempt_at, dead_lettered_at, executed_at, reinstructs_id, reinstruct_reason, reinstructed_by, created_at, updated_at`;

export const event = (e: MovementEvent) => ({ from: [...MOVEMENT_EVENTS[e].from], to: MOVEMENT_EVENTS[e].to });

/** The only writer of `settlement_instructions` and `movement_sequences`. Every state change is guarded by the state machine's `from` list. */
/** One delivery attempt of a movement, as recorded. */
export interface DeliveryAttempt {
  attempt: number;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  response: string | null;
}

export interface DeliveryAttemptRow {
  attempt: number;
  at: Date;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
  response: string | null;
}

@Injectable()
export class MoneyMovementsRepository {
  /** Inserts the movement unless its source already instructed one; returns the row either way. */
  async insert(m: EntityManager, n: NewMovement): Promise<{ row: MovementRow; created: boolean }> {
    const inserted: MovementRow[] = await m.query(
      `INSERT INTO settlement_instructions (kind, amount, currency, end_to_end_ref, source_ref, escrow_account_id, institution_id, contract_id, district_code,
         escrow_bank_code, escrow_account_number, escrow_account_name, payee_bank, payee_account_number, payee_account_name, ledger_txn_id, not_before,
         reinstructs_id, reinstruct_reason, reinstructed_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
       ON CONFLICT (source_ref) DO NOTHING RETURNING ${COLUMNS}`,
      [n.kind, n.amount, n.currency, n.endToEndRef, n.sourceRef, n.escrowAccountId, n.institutionId, n.contractId, n.districtCode, n.escrowBankCode,
        n.escrowAccountNumber, n.escrowAccountName, n.payeeBank, n.payeeAccountNumber, n.payeeAccountName, n.ledgerTxnId, n.notBefore,
        n.reinstructs?.id ?? null, n.reinstructs?.reason ?? null, n.reinstructs?.by ?? null],
    );
    if (inserted[0]) return { row: inserted[0], created: true };
    const rows: MovementRow[] = await m.query(`SELECT ${COLUMNS} FROM settlement_instructions WHERE source_ref = $1`, [n.sourceRef]);
    return { row: rows[0], created: false };
  }

  /** Movements of an escrow account executed on China days fromDay..toDay (inclusive), or after `executedAfter`. */
  executedBetween(m: EntityManager, escrowAccountId: string, fromDay: string, toDay: string, executedAfter: Date | null): Promise<ExecutedMovementRow[]> {
    return m.query(
      `SELECT ${EXECUTED} FROM settlement_instructions
        WHERE escrow_account_id = $1 AND state = 'executed'
          AND executed_at >= ($2::date)::timestamp AT TIME ZONE 'Asia/Shanghai' AND executed_at < ($3::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
       UNION
       SELECT ${EXECUTED} FROM settlement_instructions WHERE escrow_account_id = $1 AND state = 'executed' AND executed_at > $4`,
      [escrowAccountId, fromDay, toDay, executedAfter],
    );
  }

  async executedOne(m: EntityManager, id: string): Promise<ExecutedMovementRow | null> {
    if (!UUID.test(id)) return null;
    const rows: ExecutedMovementRow[] = await m.query(`SELECT ${EXECUTED} FROM settlement_instructions WHERE id = $1 AND state = 'executed'`, [id]);
    return rows[0] ?? null;
  }

  async find(m: EntityManager, id: string, lock = false): Promise<MovementRow | null> {
    const rows: MovementRow[] = await m.query(`SELECT ${COLUMNS} FROM settlement_instructions WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  /**
   * The per-escrow-account sequence number, assigned once, at first delivery, in one statement.
   * (Two attempts racing for one movement may leave a gap in the account's sequence, never a
   * duplicate: the number is unique per escrow account.)
   */
  async assignSequence(m: EntityManager, id: string, escrowAccountId: string): Promise<string> {
    const [row] = rowsOf<{ sequence: string }>(
      await m.query(
        `WITH next AS (
           INSERT INTO movement_sequences (escrow_account_id, last) VALUES ($2, 1)
           ON CONFLICT (escrow_account_id) DO UPDATE SET last = movement_sequences.last + 1 RETURNING last)
         UPDATE settlement_instructions SET sequence = (SELECT last FROM next) WHERE id = $1 AND sequence IS NULL RETURNING sequence::text`,
        [id, escrowAccountId],
      ),
    );
    if (row) return row.sequence;
    const [again]: { sequence: string }[] = await m.query(`SELECT sequence::text FROM settlement_instructions WHERE id = $1`, [id]);
    return again.sequence;
  }

  /** A guarded state change (no row changes when the state does not allow the event). Returns whether it applied. */
  async apply(m: EntityManager, id: string, e: MovementEvent, clearNextAttempt = false): Promise<boolean> {
    const { from, to } = event(e);
    const res = rowsOf(
      await m.query(
        `UPDATE settlement_instructions SET state = $2, updated_at = now() ${clearNextAttempt ? ', next_attempt_at = NULL' : ''}
          WHERE id = $1 AND state = ANY($3::text[]) RETURNING id`,
        [id, to, from],
      ),
    );
    return res.length === 1;
  }

  /** One delivery attempt: counted, and the state moved by the attempt's outcome (when the machine allows it). */
  async recordAttempt(m: EntityManager, id: string, accepted: boolean, a: DeliveryAttempt): Promise<void> {
    const { from, to } = event(accepted ? 'acknowledged' : 'attempt_failed');
    // The attempt's record and the movement's new state in one statement: one round trip, one commit.
    await m.query(
      `WITH logged AS (
         INSERT INTO settlement_delivery_attempts (instruction_id, attempt, status_code, error, latency_ms, response) VALUES ($1, $5, $6, $7, $8, $9))
       UPDATE settlement_instructions SET attempts = attempts + 1, last_attempt_at = now(), updated_at = now(),
              state = CASE WHEN state = ANY($2::text[]) THEN $3 ELSE state END
        WHERE id = $1 AND state = ANY($4::text[])`,
      [id, from, to, [...DELIVERABLE_STATES], a.attempt, a.statusCode, a.error, a.latencyMs, a.response],
    );
  }

  attempts(m: EntityManager, id: string): Promise<DeliveryAttemptRow[]> {
    return m.query(`SELECT attempt, at, status_code, error, latency_ms, response FROM settlement_delivery_attempts WHERE instruction_id = $1 ORDER BY id`, [id]);
  }

  async executed(m: EntityManager, id: string, bankTransactionId: string | null, settlementTxnId: string | null): Promise<void> {
    const { from, to } = event('executed');
    await m.query(
      `UPDATE settlement_instructions SET state = $4, executed_at = now(), bank_transaction_id = $2, settlement_txn_id = $3, next_attempt_at = NULL, updated_at = now()
        WHERE id = $1 AND state = ANY($5::text[])`,
      [id, bankTransactionId, settlementTxnId, to, from],
    );
  }

  async failed(m: EntityManager, id: string, reasonCode: string, failureTxnId: string | null): Promise<void> {
    const { from, to } = event('failed');
    await m.query(
      `UPDATE settlement_instructions SET state = $4, failure_code = $2, failure_txn_id = $3, next_attempt_at = NULL, updated_at = now()
        WHERE id = $1 AND state = ANY($5::text[])`,
      [id, reasonCode, failureTxnId, to, from],
    );
  }

  async setNextAttempt(m: EntityManager, id: string, delayMs: number): Promise<void> {
    await m.query(`UPDATE settlement_instructions SET next_attempt_at = now() + make_interval(secs => $2::float / 1000) WHERE id = $1`, [id, delayMs]);
  }

  async setDeadLettered(m: EntityManager, id: string, dead: boolean): Promise<void> {
    if (dead) {
      await m.query(`UPDATE settlement_instructions SET dead_lettered_at = now(), next_attempt_at = NULL WHERE id = $1 AND state = ANY($2::text[])`, [id, [...DELIVERABLE_STATES]]);
    } else {
      await m.query(`UPDATE settlement_instructions SET dead_lettered_at = NULL WHERE id = $1`, [id]);
    }
  }

  /** Fills a payee that was unknown when the movement was instructed (never overwrites one). */
  async fillPayee(m: EntityManager, id: string, p: { bank: string | null; accountNumber: string; accountName: string | null }): Promise<boolean> {
    const res: unknown = await m.query(
      `UPDATE settlement_instructions SET payee_bank = $2, payee_account_number = $3, payee_account_name = $4, updated_at = now()
        WHERE id = $1 AND payee_account_number IS NULL`,
      [id, p.bank, p.accountNumber, p.accountName],
    );
    return rowsAffected(res) === 1;
  }

  /** Movements parked until their bank's endpoint is usable again. */
  async waitingForBank(m: EntityManager, bankCode: string): Promise<string[]> {
    const rows: { id: string }[] = await m.query(`SELECT id FROM settlement_instructions WHERE escrow_bank_code = $1 AND state = 'queued' ORDER BY created_at`, [bankCode]);
    return rows.map((r) => r.id);
  }

  /** The total of an account's movements of these kinds that are neither executed nor failed yet (money on its way out). */
  async sumInFlight(m: EntityManager, escrowAccountId: string, kinds: string[]): Promise<string> {
    const rows: { total: string }[] = await m.query(
      `SELECT COALESCE(sum(amount), 0)::text AS total FROM settlement_instructions WHERE escrow_account_id = $1 AND kind = ANY($2) AND state NOT IN ('executed', 'failed')`,
      [escrowAccountId, kinds],
    );
    return rows[0].total;
  }

  /** How many movements of an account are neither executed nor failed yet, and when the last one was executed. */
  async settledness(m: EntityManager, escrowAccountId: string): Promise<{ open: number; lastExecutedAt: Date | null }> {
    const rows: { open: number; last: Date | null }[] = await m.query(
      `SELECT count(*) FILTER (WHERE state NOT IN ('executed', 'failed'))::int AS open, max(executed_at) AS last FROM settlement_instructions WHERE escrow_account_id = $1`,
      [escrowAccountId],
    );
    return { open: rows[0].open, lastExecutedAt: rows[0].last };
  }

  /** The re-instruction of a failed movement, if there is one. */
  async reinstructionOf(m: EntityManager, id: string): Promise<MovementRow | null> {
    const rows: MovementRow[] = await m.query(`SELECT ${COLUMNS} FROM settlement_instructions WHERE reinstructs_id = $1`, [id]);
    return rows[0] ?? null;
  }

  list(m: EntityManager, filter: { deadLettered: boolean; limit: number }): Promise<MovementRow[]> {
    return m.query(
      `SELECT ${COLUMNS} FROM settlement_instructions WHERE ($1::boolean IS NOT TRUE OR dead_lettered_at IS NOT NULL) ORDER BY created_at DESC LIMIT $2`,
      [filter.deadLettered, filter.limit],
    );
  }
}
