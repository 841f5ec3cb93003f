import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Money } from '../../common/money/money';
import { OutboxService } from '../../infra/outbox/outbox.service';
import { JobName, jobId } from '../../infra/queues/queue.constants';
import { LedgerService, transfer } from '../ledger/ledger.service';
import { LessonsRepository } from './lessons.repository';

export type ReleaseResult = 'released' | 'already_released' | 'not_confirmed' | 'blocked_frozen' | 'waiting_for_cadence' | 'nothing_to_release';

/**
 * Releases one confirmed lesson: its exact amount moves from the contract's held funds to the
 * institution (ledger), and a settlement instruction for the bank is written with an outbox
 * row, all in the caller's transaction. Blocked, not lost, while the escrow account is frozen:
 * the lesson stays confirmed-unreleased and goes out when the account is unfrozen.
 */
@Injectable()
export class LessonReleaseService {
  constructor(
    private readonly repo: LessonsRepository,
    private readonly ledger: LedgerService,
    private readonly outbox: OutboxService,
  ) {}

  async release(m: EntityManager, lessonId: string): Promise<ReleaseResult> {
    const lesson = await this.repo.findForUpdate(m, lessonId);
    if (!lesson || lesson.state !== 'confirmed') return 'not_confirmed';
    if (lesson.released_at) return 'already_released';
    const [ctx]: { escrow_state: string; escrow_account_id: string; currency: string; cadence: string }[] = await m.query(
      `SELECT e.state AS escrow_state, e.id AS escrow_account_id, c.currency, p.rules->'releaseCadence'->>'kind' AS cadence
         FROM contracts c JOIN escrow_accounts e ON e.id = c.escrow_account_id JOIN jurisdiction_policies p ON p.id = c.policy_id
        WHERE c.id = $1`,
      [lesson.contract_id],
    );
    // Weekly, tranche and after-completion cadences release on their own schedule (not built yet).
    if (ctx.cadence !== 'per_lesson') return 'waiting_for_cadence';
    if (ctx.escrow_state !== 'active') return 'blocked_frozen';
    const amount = Money.fromDb(lesson.amount, ctx.currency);
    if (!amount.isPositive()) return 'nothing_to_release';
    const [held, unsettled] = await this.ledger
      .openAccounts(m, [
        { type: 'contract_held', contractId: lesson.contract_id, institutionId: lesson.institution_id, escrowAccountId: ctx.escrow_account_id, currency: ctx.currency },
        { type: 'institution_unsettled', institutionId: lesson.institution_id, currency: ctx.currency },
      ])
      .then((rows) => [rows.find((r) => r.type === 'contract_held')!, rows.find((r) => r.type === 'institution_unsettled')!]);
    const posted = await this.ledger.post(
      { type: 'release', externalRef: `lesson.${lesson.id}`, memo: `lesson ${lesson.id} (${lesson.confirmation})`, postings: transfer(held.id, unsettled.id, amount) },
      m,
    );
    const [instruction]: { id: string }[] = await m.query(
      `INSERT INTO settlement_instructions (kind, escrow_account_id, institution_id, amount, currency, ledger_txn_id)
       VALUES ('release', $1, $2, $3, $4, $5) ON CONFLICT (ledger_txn_id) DO UPDATE SET updated_at = settlement_instructions.updated_at RETURNING id`,
      [ctx.escrow_account_id, lesson.institution_id, amount.toString(), ctx.currency, posted.id],
    );
    await this.outbox.enqueue(m, JobName.SettlementInstructionCreated, { instructionId: instruction.id }, jobId('instruction', instruction.id));
    await this.repo.markReleased(m, lesson.id, posted.id);
    return 'released';
  }
}
