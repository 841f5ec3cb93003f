import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '../../common/auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { Money } from '../../common/money/money';
import { LedgerService } from '../ledger/ledger.service';
import { SupervisionEventsRepository } from '../supervision/supervision-events.repository';

export interface SettlementResult {
  instructionId: string;
  status: 'executed' | 'failed';
  amount: string;
  currency: string;
  fromAccountNumber: string;
  bankTransactionId?: string;
  reasonCode?: string;
}

interface InstructionRow {
  id: string;
  state: string;
  amount: string;
  currency: string;
  account_number: string;
  bank_code: string;
  escrow_account_id: string;
  institution_id: string;
  district_code: string;
  bank_transaction_id: string | null;
}

/**
 * The bank reports each instruction's result. Executed: the settlement is posted (institution
 * unsettled down, bank cash down; the settled figure up, with its memo contra), once. Failed:
 * nothing had left escrow, so the released money stays owed to the institution; the instruction
 * is marked failed with the bank's reason and an exception is raised. A result whose amount,
 * currency or account does not match is refused and recorded as an exception.
 */
@Injectable()
export class SettlementResultsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly ledger: LedgerService,
    private readonly events: SupervisionEventsRepository,
  ) {}

  async record(who: Principal, webhookId: string, r: SettlementResult): Promise<{ response: Record<string, unknown>; replayed: boolean }> {
    const mismatch = await this.ds.transaction(async (m) => {
      const seen: { response: Record<string, unknown> }[] = await m.query(`SELECT response FROM bank_webhook_receipts WHERE bank_code = $1 AND webhook_id = $2`, [who.bankCode, webhookId]);
      if (seen[0]) return { replay: seen[0].response };
      const [i]: InstructionRow[] = await m.query(
        `SELECT s.id, s.state, s.amount::text, s.currency, e.account_number, e.bank_code, s.escrow_account_id, s.institution_id, inst.district_code, s.bank_transaction_id
           FROM settlement_instructions s JOIN escrow_accounts e ON e.id = s.escrow_account_id JOIN institutions inst ON inst.id = s.institution_id
          WHERE s.id = $1 FOR UPDATE OF s`,
        [r.instructionId],
      );
      if (!i || i.bank_code !== who.bankCode) throw new DomainError('SETTLEMENT_INSTRUCTION_NOT_FOUND', `Settlement instruction ${r.instructionId} not found`);
      const amount = Money.parse(r.amount, r.currency);
      const problems = [
        ...(amount.eq(Money.fromDb(i.amount, i.currency)) ? [] : [{ field: 'amount', expected: i.amount, received: r.amount }]),
        ...(r.currency === i.currency ? [] : [{ field: 'currency', expected: i.currency, received: r.currency }]),
        ...(r.fromAccountNumber === i.account_number ? [] : [{ field: 'fromAccountNumber', expected: i.account_number, received: r.fromAccountNumber }]),
      ];
      if (problems.length) return { mismatch: { instruction: i, problems } };
      const response = r.status === 'executed' ? await this.executed(m, i, r) : await this.failed(m, i, r);
      await m.query(`INSERT INTO bank_webhook_receipts (bank_code, webhook_id, response) VALUES ($1, $2, $3)`, [who.bankCode, webhookId, JSON.stringify(response)]);
      return { response };
    });
    if ('replay' in mismatch) return { response: mismatch.replay!, replayed: true };
    if ('response' in mismatch) return { response: mismatch.response!, replayed: false };
    // Refused: recorded for the regulator in its own transaction (the refusal changes nothing else).
    const { instruction: i, problems } = mismatch.mismatch!;
    await this.ds.transaction((m) => this.exception(m, i, 'SETTLEMENT_RESULT_MISMATCH', { problems, webhookId, reported: r }));
    throw new DomainError('SETTLEMENT_MISMATCH', 'The result does not match the instruction; it was refused and recorded', { problems });
  }

  private async executed(m: EntityManager, i: InstructionRow, r: SettlementResult) {
    if (i.state === 'executed') {
      if (i.bank_transaction_id !== (r.bankTransactionId ?? null)) throw new DomainError('INVALID_SETTLEMENT_TRANSITION', 'The instruction was already executed under another bank transaction');
      return { instructionId: i.id, state: 'executed' };
    }
    if (!['pending', 'queued', 'sent', 'acknowledged'].includes(i.state)) throw new DomainError('INVALID_SETTLEMENT_TRANSITION', `An instruction that is ${i.state} cannot be executed`);
    const amount = Money.fromDb(i.amount, i.currency);
    const accounts = await this.ledger.openAccounts(m, [
      { type: 'institution_unsettled', institutionId: i.institution_id, currency: i.currency },
      { type: 'institution_settled', institutionId: i.institution_id, currency: i.currency },
      { type: 'paid_out', institutionId: i.institution_id, currency: i.currency },
      { type: 'bank_cash', escrowAccountId: i.escrow_account_id, institutionId: i.institution_id, currency: i.currency },
    ]);
    const id = (t: string) => accounts.find((a) => a.type === t)!.id;
    const posted = await this.ledger.post(
      {
        type: 'settlement',
        externalRef: `settlement.${i.id}`,
        memo: `bank ${i.bank_code} executed ${r.bankTransactionId ?? ''}`.trim(),
        postings: [
          { accountId: id('institution_unsettled'), amount },
          { accountId: id('bank_cash'), amount: amount.negate() },
          { accountId: id('paid_out'), amount },
          { accountId: id('institution_settled'), amount: amount.negate() },
        ],
      },
      m,
    );
    await m.query(
      `UPDATE settlement_instructions SET state = 'executed', executed_at = now(), bank_transaction_id = $2, settlement_txn_id = $3, next_attempt_at = NULL, updated_at = now() WHERE id = $1`,
      [i.id, r.bankTransactionId ?? null, posted.id],
    );
    return { instructionId: i.id, state: 'executed', settlementTransactionId: posted.id };
  }

  private async failed(m: EntityManager, i: InstructionRow, r: SettlementResult) {
    if (i.state === 'failed') return { instructionId: i.id, state: 'failed' };
    if (!['pending', 'queued', 'sent', 'acknowledged'].includes(i.state)) throw new DomainError('INVALID_SETTLEMENT_TRANSITION', `An instruction that is ${i.state} cannot fail`);
    await m.query(`UPDATE settlement_instructions SET state = 'failed', failure_code = $2, next_attempt_at = NULL, updated_at = now() WHERE id = $1`, [i.id, r.reasonCode ?? 'UNSPECIFIED']);
    await this.exception(m, i, 'SETTLEMENT_FAILED', { reasonCode: r.reasonCode ?? null });
    return { instructionId: i.id, state: 'failed', reasonCode: r.reasonCode ?? 'UNSPECIFIED' };
  }

  private async exception(m: EntityManager, i: InstructionRow, type: string, details: Record<string, unknown>) {
    await m.query(`INSERT INTO escrow_exceptions (escrow_account_id, institution_id, type, amount, currency, details) VALUES ($1, $2, $3, $4, $5, $6)`, [
      i.escrow_account_id,
      i.institution_id,
      type,
      i.amount,
      i.currency,
      JSON.stringify({ instructionId: i.id, ...details }),
    ]);
    await this.events.raise(m, {
      institutionId: i.institution_id,
      districtCode: i.district_code,
      type,
      severity: 'critical',
      message: `${type === 'SETTLEMENT_FAILED' ? 'Bank could not execute' : 'Mismatching result for'} settlement instruction ${i.id} (${i.amount} ${i.currency})`,
      details: { instructionId: i.id, ...details },
      dedupeKey: `${type}:${i.id}:${Date.now()}`,
    });
  }
}
