import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Money } from '../../common/money/money';
import { OutboxService } from '../../infra/outbox/outbox.service';
import { JobName, jobId } from '../../infra/queues/queue.constants';
import { LedgerService, transfer } from '../ledger/ledger.service';
import { ReleaseCadence } from '../policies/policy-rules';
import { LessonsRepository } from './lessons.repository';
import { tranchePlan } from './tranches';

export type ReleaseResult = 'released' | 'already_released' | 'not_confirmed' | 'blocked_frozen' | 'waiting_for_cadence' | 'nothing_to_release';

interface ContractContext {
  contract_id: string;
  institution_id: string;
  escrow_state: string;
  escrow_account_id: string;
  currency: string;
  lessons: number;
  total_price: string;
  cadence: ReleaseCadence;
}

/**
 * Moves confirmed lessons' money from the contract's held funds to the institution, by the
 * contract's policy cadence, in the caller's transaction, with the settlement instruction and
 * its outbox row. Per lesson: each confirmed lesson, one instruction each. Weekly: a posting
 * per lesson now, one netted instruction per institution and week later. Tranches: a part of
 * the price when enough lessons are confirmed. After completion: a daily job. Nothing goes out
 * while the escrow account is frozen; it is blocked, not lost.
 */
@Injectable()
export class LessonReleaseService {
  constructor(
    private readonly repo: LessonsRepository,
    private readonly ledger: LedgerService,
    private readonly outbox: OutboxService,
  ) {}

  async context(m: EntityManager, contractId: string, lock = false): Promise<ContractContext> {
    const rows: ContractContext[] = await m.query(
      `SELECT c.id AS contract_id, c.institution_id, e.state AS escrow_state, e.id AS escrow_account_id, c.currency, c.lessons, c.total_price::text,
              p.rules->'releaseCadence' AS cadence
         FROM contracts c JOIN escrow_accounts e ON e.id = c.escrow_account_id JOIN jurisdiction_policies p ON p.id = c.policy_id
        WHERE c.id = $1 ${lock ? 'FOR UPDATE OF c' : ''}`,
      [contractId],
    );
    return rows[0];
  }

  async release(m: EntityManager, lessonId: string): Promise<ReleaseResult> {
    const lesson = await this.repo.findForUpdate(m, lessonId);
    if (!lesson || lesson.state !== 'confirmed') return 'not_confirmed';
    if (lesson.released_at) return 'already_released';
    if (lesson.release_mode === 'after_completion') return 'waiting_for_cadence';
    if (lesson.release_mode === 'tranches') return this.releaseDueTranches(m, lesson.contract_id);
    const ctx = await this.context(m, lesson.contract_id);
    if (ctx.escrow_state !== 'active') return 'blocked_frozen';
    const amount = Money.fromDb(lesson.amount, ctx.currency);
    if (!amount.isPositive()) return 'nothing_to_release';
    const txn = await this.post(m, ctx, amount, `lesson.${lesson.id}`, `lesson ${lesson.id} (${lesson.confirmation})`);
    await this.repo.markReleased(m, lesson.id, txn);
    if (lesson.release_mode === 'per_lesson') {
      const instruction = await this.instruct(m, ctx, amount, txn, null);
      await m.query(`UPDATE lessons SET settlement_instruction_id = $2 WHERE id = $1`, [lesson.id, instruction]);
    }
    return 'released';
  }

  /** Releases every tranche whose lesson count is reached (each once: the contract row is locked). */
  async releaseDueTranches(m: EntityManager, contractId: string): Promise<ReleaseResult> {
    const ctx = await this.context(m, contractId, true);
    if (ctx.cadence.kind !== 'tranches') return 'waiting_for_cadence';
    if (ctx.escrow_state !== 'active') return 'blocked_frozen';
    const [{ confirmed }]: { confirmed: number }[] = await m.query(`SELECT count(*)::int AS confirmed FROM lessons WHERE contract_id = $1 AND state = 'confirmed'`, [contractId]);
    const done = new Set(((await m.query(`SELECT part FROM contract_releases WHERE contract_id = $1`, [contractId])) as { part: number }[]).map((r) => r.part));
    let released = false;
    for (const t of tranchePlan(Money.fromDb(ctx.total_price, ctx.currency), ctx.lessons, ctx.cadence.tranches)) {
      if (done.has(t.part) || confirmed < t.afterLessons) continue;
      const txn = t.amount.isPositive() ? await this.post(m, ctx, t.amount, `tranche.${contractId}.${t.part}`, `tranche ${t.part} after ${t.afterLessons} lessons`) : null;
      if (txn) await this.instruct(m, ctx, t.amount, txn, null);
      await m.query(`INSERT INTO contract_releases (contract_id, part, kind, amount, ledger_txn_id) VALUES ($1, $2, 'tranche', $3, $4)`, [contractId, t.part, t.amount.toString(), txn]);
      released = true;
    }
    return released ? 'released' : 'waiting_for_cadence';
  }

  /** Releases everything still held for a completed contract (after-completion cadence). */
  async releaseCompleted(m: EntityManager, contractId: string): Promise<ReleaseResult> {
    const ctx = await this.context(m, contractId, true);
    if (ctx.escrow_state !== 'active') return 'blocked_frozen';
    if ((await m.query(`SELECT 1 FROM contract_releases WHERE contract_id = $1 AND kind = 'completion'`, [contractId])).length) return 'already_released';
    const held = await this.heldAccount(m, ctx);
    const amount = await this.ledger.balance(held);
    const txn = amount.isPositive() ? await this.post(m, ctx, amount, `completion.${contractId}`, 'release after completion') : null;
    if (txn) await this.instruct(m, ctx, amount, txn, null);
    await m.query(`INSERT INTO contract_releases (contract_id, part, kind, amount, ledger_txn_id) VALUES ($1, 1, 'completion', $2, $3)`, [contractId, amount.toString(), txn]);
    await m.query(`UPDATE lessons SET released_at = now(), release_txn_id = $2 WHERE contract_id = $1 AND state = 'confirmed' AND released_at IS NULL AND $2::bigint IS NOT NULL`, [contractId, txn]);
    await m.query(`UPDATE contracts SET state = 'completed', updated_at = now() WHERE id = $1 AND state = 'active'`, [contractId]);
    return txn ? 'released' : 'nothing_to_release';
  }

  private async heldAccount(m: EntityManager, ctx: ContractContext) {
    return this.ledger.openAccount(m, { type: 'contract_held', contractId: ctx.contract_id, institutionId: ctx.institution_id, escrowAccountId: ctx.escrow_account_id, currency: ctx.currency });
  }

  private async post(m: EntityManager, ctx: ContractContext, amount: Money, ref: string, memo: string): Promise<string> {
    const held = await this.heldAccount(m, ctx);
    const unsettled = await this.ledger.openAccount(m, { type: 'institution_unsettled', institutionId: ctx.institution_id, currency: ctx.currency });
    return (await this.ledger.post({ type: 'release', externalRef: ref, memo, postings: transfer(held.id, unsettled.id, amount) }, m)).id;
  }

  /** A settlement instruction for the bank, with its outbox row (delivery is the settlement feature's). */
  async instruct(m: EntityManager, ctx: { escrow_account_id: string; institution_id: string; currency: string }, amount: Money, txn: string | null, notBefore: string | null): Promise<string> {
    const [row]: { id: string }[] = await m.query(
      `INSERT INTO settlement_instructions (kind, escrow_account_id, institution_id, amount, currency, ledger_txn_id, not_before)
       VALUES ('release', $1, $2, $3, $4, $5, $6) RETURNING id`,
      [ctx.escrow_account_id, ctx.institution_id, amount.toString(), ctx.currency, txn, notBefore],
    );
    await this.outbox.enqueue(m, JobName.SettlementInstructionCreated, { instructionId: row.id }, jobId('instruction', row.id));
    return row.id;
  }
}
