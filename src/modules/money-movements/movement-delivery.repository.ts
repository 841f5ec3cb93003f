import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';
import { DELIVERABLE_STATES } from './movement-state-machine';
import { MovementRow } from './money-movement.types';
import { COLUMNS, DeliveryAttempt, event } from './money-movements.repository';

/**
 * The set-based statements of delivery (issue 18): the settlements module groups the reads and
 * writes of concurrent attempts and runs each group as one statement here. Same rules as the
 * one-movement statements in MoneyMovementsRepository (the state machine's `from` lists guard
 * every state change); part of the only writer of `settlement_instructions` and `movement_sequences`.
 */
@Injectable()
export class MovementDeliveryRepository {
  /** Several movements in one statement (the delivery's grouped reads); unknown ids are absent. */
  findMany(m: EntityManager, ids: string[]): Promise<MovementRow[]> {
    return m.query(`SELECT ${COLUMNS} FROM settlement_instructions WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /**
   * `assignSequence` for several movements in one statement: each escrow account's counter moves
   * once by the number of its movements still without one, which take the numbers in order of
   * creation. The counters are bumped in account order, so two such statements never deadlock.
   * Returns every id's sequence (a movement that had one keeps it). A number another attempt
   * assigned meanwhile stays (a gap in the account's sequence, never a duplicate) and is read back.
   */
  async assignSequences(m: EntityManager, ids: string[]): Promise<Map<string, string>> {
    const rows = rowsOf<{ id: string; sequence: string | null }>(
      await m.query(
        `WITH req AS (
           SELECT id, escrow_account_id, row_number() OVER (PARTITION BY escrow_account_id ORDER BY created_at, id) AS k
             FROM settlement_instructions WHERE id = ANY($1::uuid[]) AND sequence IS NULL),
         counts AS (SELECT escrow_account_id, count(*) AS n FROM req GROUP BY escrow_account_id),
         bumped AS (
           INSERT INTO movement_sequences (escrow_account_id, last) SELECT escrow_account_id, n FROM counts ORDER BY escrow_account_id
           ON CONFLICT (escrow_account_id) DO UPDATE SET last = movement_sequences.last + EXCLUDED.last RETURNING escrow_account_id, last),
         assigned AS (
           UPDATE settlement_instructions s SET sequence = b.last - c.n + r.k
             FROM req r JOIN counts c USING (escrow_account_id) JOIN bumped b USING (escrow_account_id)
            WHERE s.id = r.id AND s.sequence IS NULL
           RETURNING s.id, s.sequence::text)
         SELECT id, sequence FROM assigned
         UNION ALL
         SELECT id, sequence::text FROM settlement_instructions WHERE id = ANY($1::uuid[]) AND sequence IS NOT NULL`,
        [ids],
      ),
    );
    const result = new Map(rows.filter((r) => r.sequence !== null).map((r) => [r.id, r.sequence!]));
    const raced = ids.filter((id) => !result.has(id));
    if (raced.length > 0) {
      const again: { id: string; sequence: string | null }[] = await m.query(`SELECT id, sequence::text FROM settlement_instructions WHERE id = ANY($1::uuid[])`, [raced]);
      for (const r of again) if (r.sequence !== null) result.set(r.id, r.sequence);
    }
    return result;
  }

  /**
   * `recordAttempt` for several attempts in one statement (group commit of concurrent deliveries):
   * every attempt row, and per movement its count and new state as the state machine moves it
   * (acknowledged when one of its attempts was accepted, else sent). All or nothing: one statement.
   */
  async recordAttempts(m: EntityManager, items: { id: string; accepted: boolean; attempt: DeliveryAttempt }[]): Promise<void> {
    const ack = event('acknowledged');
    const failed = event('attempt_failed');
    await m.query(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::boolean[], $3::int[], $4::int[], $5::text[], $6::int[], $7::text[])
                  WITH ORDINALITY AS t(id, accepted, attempt, status_code, error, latency_ms, response, ord)),
       logged AS (
         INSERT INTO settlement_delivery_attempts (instruction_id, attempt, status_code, error, latency_ms, response)
         SELECT id, attempt, status_code, error, latency_ms, response FROM input ORDER BY ord),
       per AS (SELECT id, count(*)::int AS n, bool_or(accepted) AS accepted FROM input GROUP BY id)
       UPDATE settlement_instructions s SET attempts = s.attempts + per.n, last_attempt_at = now(), updated_at = now(),
              state = CASE WHEN per.accepted AND s.state = ANY($8::text[]) THEN $9
                           WHEN NOT per.accepted AND s.state = ANY($10::text[]) THEN $11
                           ELSE s.state END
         FROM per
        WHERE s.id = per.id AND s.state = ANY($12::text[])`,
      [
        items.map((i) => i.id),
        items.map((i) => i.accepted),
        items.map((i) => i.attempt.attempt),
        items.map((i) => i.attempt.statusCode),
        items.map((i) => i.attempt.error),
        items.map((i) => i.attempt.latencyMs),
        items.map((i) => i.attempt.response),
        ack.from,
        ack.to,
        failed.from,
        failed.to,
        [...DELIVERABLE_STATES],
      ],
    );
  }

}
