import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Money } from '@common/money/money';
import { ContractsService } from '@modules/contracts/contracts.service';
import { ReleaseTerms } from '@modules/contracts/contract.types';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LedgerOwner } from '@modules/ledger/ledger.types';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { LessonsRepository } from './lessons.repository';
import { tranchePlan } from './tranches';

/** Told, in the withdrawal's transaction, that a lesson of a contract a refund ended was withdrawn (its money is the payer's). */
export type WithdrawnAfterRefundListener = (m: EntityManager, w: { contractId: string; lessonId: string; amount: Money }) => Promise<void>;

export type ReleaseResult = 'released' | 'already_released' | 'not_confirmed' | 'blocked_frozen' | 'waiting_for_cadence' | 'nothing_to_release';

/**
 * Moves confirmed lessons' money from the contract's held funds to the institution, by the
 * release cadence the contract was signed under, in the caller's transaction, with the release
 * movement (and its outbox row). Per lesson: each confirmed lesson, one movement each. Weekly:
 * a posting per lesson now, one netted movement per institution and week later. Tranches: a
 * part of the price when enough lessons are confirmed. After completion: a daily job. Nothing goes out
 * while the escrow account is frozen; it is blocked, not lost. When every lesson's money is
 * released the contract becomes completed.
 */
@Injectable()
export class LessonReleaseService {
  private readonly withdrawnListeners: WithdrawnAfterRefundListener[] = [];

  constructor(
    private readonly repo: LessonsRepository,
    private readonly contracts: ContractsService,
    private readonly escrowAccounts: EscrowAccountsService,
    private readonly ledger: LedgerService,
    private readonly movements: MoneyMovementsService,
  ) {}

  async release(m: EntityManager, lessonId: string): Promise<ReleaseResult> {
    const lesson = await this.repo.findForUpdate(m, lessonId);
    if (!lesson || lesson.state !== 'confirmed') return 'not_confirmed';
    if (lesson.released_at) return 'already_released';
    if (lesson.release_mode === 'after_completion' || lesson.release_mode === 'tranches') {
      // A refund ended the contract: its tranche plan or completion can no longer fall due (see releaseAfterTermination).
      const state = (await this.contracts.releaseTerms(m, lesson.contract_id, true))?.state;
      if (state === 'terminated' || state === 'refunded') return this.releaseAfterTermination(m, lesson.contract_id);
    }
    // Periodic release: the contract's money goes by its deduction schedule (deductions module), never per lesson.
    if (lesson.release_mode === 'after_completion' || lesson.release_mode === 'periodic') return 'waiting_for_cadence';
    if (lesson.release_mode === 'tranches') return this.releaseDueTranches(m, lesson.contract_id);
    // Locked: releases of one contract are serialised, so the last one sees every other and completes it.
    const terms = (await this.contracts.releaseTerms(m, lesson.contract_id, true))!;
    if (!(await this.escrowActive(m, terms))) return 'blocked_frozen';
    const amount = Money.fromDb(lesson.amount, terms.currency);
    if (!amount.isPositive()) return 'nothing_to_release';
    const txn = await this.post(m, terms, amount, `lesson.${lesson.id}`, `lesson ${lesson.id} (${lesson.confirmation})`);
    await this.repo.markReleased(m, lesson.id, txn);
    if (lesson.release_mode === 'per_lesson') {
      const { movement } = await this.movements.instruct(m, { ...this.movementOf(terms, amount), ledgerTxnId: txn, sourceRef: `lesson.${lesson.id}` });
      await this.repo.setMovement(m, [lesson.id], movement.id);
    }
    if (terms.lessons_consumed === terms.lessons && (await this.repo.countReleased(m, terms.contract_id)) === terms.lessons) {
      await this.contracts.markCompleted(m, terms.contract_id);
    }
    return 'released';
  }

  /** Releases every tranche whose lesson count is reached (each once: the contract row is locked). */
  async releaseDueTranches(m: EntityManager, contractId: string): Promise<ReleaseResult> {
    const terms = (await this.contracts.releaseTerms(m, contractId, true))!;
    const cadence = terms.cadence;
    if (cadence.kind !== 'tranches') return 'waiting_for_cadence';
    if (!(await this.escrowActive(m, terms))) return 'blocked_frozen';
    const confirmed = await this.repo.countConfirmed(m, contractId);
    const done = new Set((await this.repo.releasedParts(m, contractId)).map((r) => r.part));
    const plan = tranchePlan(Money.fromDb(terms.total_price, terms.currency), terms.lessons, cadence.tranches);
    let released = false;
    for (const t of plan) {
      if (done.has(t.part) || confirmed < t.afterLessons) continue;
      const ref = `tranche.${contractId}.${t.part}`;
      const txn = t.amount.isPositive() ? await this.post(m, terms, t.amount, ref, `tranche ${t.part} after ${t.afterLessons} lessons`) : null;
      if (txn) await this.movements.instruct(m, { ...this.movementOf(terms, t.amount), ledgerTxnId: txn, sourceRef: ref });
      await this.repo.recordContractRelease(m, { contractId, part: t.part, kind: 'tranche', amount: t.amount.toString(), txnId: txn });
      done.add(t.part);
      released = true;
    }
    if (released && plan.every((t) => done.has(t.part))) await this.contracts.markCompleted(m, contractId);
    return released ? 'released' : 'waiting_for_cadence';
  }

  /** Releases everything still held for a completed contract (after-completion cadence). */
  async releaseCompleted(m: EntityManager, contractId: string): Promise<ReleaseResult> {
    const terms = (await this.contracts.releaseTerms(m, contractId, true))!;
    if (!(await this.escrowActive(m, terms))) return 'blocked_frozen';
    if ((await this.repo.releasedParts(m, contractId)).some((r) => r.kind === 'completion')) return 'already_released';
    const amount = await this.ledger.balanceOf('contract_held', this.owner(terms), m);
    const ref = `completion.${contractId}`;
    const txn = amount.isPositive() ? await this.post(m, terms, amount, ref, 'release after completion') : null;
    if (txn) {
      await this.movements.instruct(m, { ...this.movementOf(terms, amount), ledgerTxnId: txn, sourceRef: ref });
      await this.repo.markContractReleased(m, contractId, txn);
    }
    await this.repo.recordContractRelease(m, { contractId, part: 1, kind: 'completion', amount: amount.toString(), txnId: txn });
    await this.contracts.markCompleted(m, contractId);
    return txn ? 'released' : 'nothing_to_release';
  }

  /**
   * After a refund ended the contract (terminated, or refunded once the bank paid): what is still
   * held belongs to the lessons delivered before it, plus, after a partial refund decision, the
   * part the regulator left to the institution. Per lesson and weekly: each lesson is still
   * released when confirmed, and anything held beyond the unreleased lessons' amounts goes now.
   * Tranches and after completion: their plan can no longer fall due, so once every consumed
   * lesson is confirmed the whole remainder goes in one release. The contract row is locked, so
   * a refund and a release never both count the same money; the ledger refuses to overdraw.
   */
  async releaseAfterTermination(m: EntityManager, contractId: string): Promise<ReleaseResult> {
    const terms = (await this.contracts.releaseTerms(m, contractId, true))!;
    if (terms.state !== 'terminated' && terms.state !== 'refunded') return 'nothing_to_release';
    // What a periodic contract still holds after a refund is its periods already due: the deduction schedule releases them.
    if (terms.cadence.kind === 'periodic') return 'nothing_to_release';
    if (!(await this.escrowActive(m, terms))) return 'blocked_frozen';
    const held = await this.ledger.balanceOf('contract_held', this.owner(terms), m);
    const pending = await this.repo.unreleasedConsumed(m, contractId);
    const perLesson = terms.cadence.kind === 'per_lesson' || terms.cadence.kind === 'weekly';
    if (!perLesson && pending.unconfirmed > 0) return 'waiting_for_cadence';
    const amount = perLesson ? held.minus(Money.fromDb(pending.amount, terms.currency)) : held;
    if (!amount.isPositive()) return 'nothing_to_release';
    const part = (await this.repo.releasedParts(m, contractId)).reduce((max, r) => Math.max(max, r.part), 0) + 1;
    const ref = `remainder.${contractId}.${part}`;
    const txn = await this.post(m, terms, amount, ref, `remainder after refund (${terms.cadence.kind})`);
    await this.movements.instruct(m, { ...this.movementOf(terms, amount), ledgerTxnId: txn, sourceRef: ref });
    // After completion: its lessons are released by this transaction, as by a completion release (tranche lessons never are, one by one).
    if (terms.cadence.kind === 'after_completion') await this.repo.markContractReleased(m, contractId, txn);
    await this.repo.recordContractRelease(m, { contractId, part, kind: 'completion', amount: amount.toString(), txnId: txn });
    return 'released';
  }

  /** The refunds module follows lessons withdrawn after a refund ended their contract. */
  onWithdrawnAfterRefund(listener: WithdrawnAfterRefundListener): void {
    this.withdrawnListeners.push(listener);
  }

  /**
   * A lesson was withdrawn (its consumption reversed). On a contract a refund already ended, the
   * refund was computed with that lesson consumed: its money is undelivered and goes to the payer,
   * never to the institution, so the listeners (refunds) send it after the refund.
   */
  async withdrawn(m: EntityManager, contractId: string, lessonId: string, amount: Money): Promise<void> {
    const state = (await this.contracts.releaseTerms(m, contractId, true))?.state;
    if (state !== 'terminated' && state !== 'refunded') return;
    for (const l of this.withdrawnListeners) await l(m, { contractId, lessonId, amount });
  }

  /** A netted release movement for lessons already posted (weekly settlement). */
  async instructNetted(m: EntityManager, g: { escrowAccountId: string; institutionId: string; amount: Money; notBefore: string; sourceRef: string }): Promise<string> {
    const { movement } = await this.movements.instruct(m, { kind: 'release', escrowAccountId: g.escrowAccountId, institutionId: g.institutionId, amount: g.amount, notBefore: g.notBefore, sourceRef: g.sourceRef });
    return movement.id;
  }

  /** Whether money may go out of this escrow account now (not frozen, not closed). */
  async mayPayOut(m: EntityManager, escrowAccountId: string): Promise<boolean> {
    return (await this.escrowAccounts.find(m, escrowAccountId))?.state === 'active';
  }

  private async escrowActive(m: EntityManager, terms: ReleaseTerms): Promise<boolean> {
    return (await this.escrowAccounts.find(m, terms.escrow_account_id))?.state === 'active';
  }

  private owner(terms: ReleaseTerms): LedgerOwner {
    return { escrowAccountId: terms.escrow_account_id, institutionId: terms.institution_id, contractId: terms.contract_id, currency: terms.currency };
  }

  private movementOf(terms: ReleaseTerms, amount: Money) {
    return { kind: 'release' as const, escrowAccountId: terms.escrow_account_id, institutionId: terms.institution_id, contractId: terms.contract_id, amount };
  }

  private async post(m: EntityManager, terms: ReleaseTerms, amount: Money, ref: string, memo: string): Promise<string> {
    return (await this.ledger.release(m, this.owner(terms), amount, ref, memo)).id;
  }
}
