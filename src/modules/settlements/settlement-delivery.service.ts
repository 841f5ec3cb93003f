import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '@common/clock';
import { DomainError } from '@common/errors/domain-error';
import { AppConfig } from '@config/app-config';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { QueueService } from '@infra/queues/queue.service';
import { BanksService } from '@modules/banks/banks.service';
import { signWebhook } from '@modules/banks/webhook-signature';
import { isDeliverable } from '@modules/money-movements/movement-state-machine';
import { MoneyMovementsService, MovementContext } from '@modules/money-movements/money-movements.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { movementPayload } from './movement-payload';
import { SettlementsRepository } from './settlements.repository';

export type AttemptOutcome = 'acknowledged' | 'retry' | 'dead_lettered' | 'endpoint_gone' | 'waiting' | 'done';

/**
 * Delivers money movements of every kind to custody banks as Standard Webhooks (signed with
 * every current secret of the bank, so rotation overlaps). The webhook id is the movement id,
 * so a repeated delivery carries the same id and the bank can drop it. Only 2xx counts; 410
 * disables the endpoint and alerts; 429 and 503 honour Retry-After; otherwise the retry
 * schedule applies (with jitter): `SETTLEMENT_RETRY_DELAYS_MS` lists the delay before each
 * retry (the first delivery goes at once), and when the last retry fails too the movement is
 * dead-lettered. Every attempt is recorded.
 */
@Injectable()
export class SettlementDeliveryService {
  private readonly logger = new Logger(SettlementDeliveryService.name);
  private readonly delays: number[];

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: SettlementsRepository,
    private readonly movements: MoneyMovementsService,
    private readonly banks: BanksService,
    private readonly queues: QueueService,
    private readonly events: SupervisionEventsService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.delays = config.SETTLEMENT_RETRY_DELAYS_MS.split(',').map(Number);
  }

  /** The first delivery plus one retry per configured delay. */
  get maxAttempts(): number {
    return this.delays.length + 1;
  }

  /** Delay before the attempt after `attempt` failed; null when that was the last one. */
  retryDelay(attempt: number): number | null {
    return attempt <= this.delays.length ? this.delays[attempt - 1] : null;
  }

  /**
   * One attempt; schedules the next one itself. A `round` is one pass through the retry schedule
   * (the first delivery, or an admin's redelivery): job ids are deterministic within a round, so a
   * crash while scheduling cannot double an attempt, and distinct across rounds.
   */
  async attempt(instructionId: string, attempt: number, round = 'r0'): Promise<AttemptOutcome> {
    let ctx = await this.movements.context(instructionId);
    if (!ctx || !isDeliverable(ctx.row.state)) return 'done';
    // Dead-lettered waits for an admin's redelivery (which clears the mark), whatever re-adds its jobs.
    if (ctx.row.dead_lettered_at) return 'done';
    if (!ctx.row.payee_account_number) {
      // Never sent without a payee account: looked up again, or the movement waits for it.
      if (!(await this.movements.ensurePayee(instructionId))) return 'waiting';
      ctx = (await this.movements.context(instructionId))!;
    }
    const { row } = ctx;
    const bank = await this.banks.deliveryTarget(row.escrow_bank_code);
    if (!bank?.webhookUrl || bank.secrets.length === 0 || bank.disabledAt) {
      await this.movements.waitForEndpoint(row.id);
      return 'waiting';
    }
    if (row.not_before && row.not_before > this.clock.today()) {
      const wait = Date.parse(`${row.not_before}T00:00:00+08:00`) - this.clock.now().getTime();
      await this.schedule(row.id, attempt, Math.max(wait, 1000), round, `nb${row.not_before}`);
      return 'waiting';
    }
    const sequence = await this.movements.assignSequence(row);
    const body = JSON.stringify(movementPayload(ctx, sequence));
    // The signature timestamp is a transport fact: real time, never the business clock.
    const timestamp = Math.floor(Date.now() / 1000);
    // node:crypto, like the check of the banks' own calls (the library hashes in JavaScript, ~17 ms per MB).
    const signature = bank.secrets.map((s) => signWebhook(s, row.id, timestamp, body)).join(' ');
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    let text = '';
    let retryAfter: number | null = null;
    try {
      const res = await fetch(bank.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': row.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
        body,
        signal: AbortSignal.timeout(this.config.SETTLEMENT_TIMEOUT_MS),
      });
      status = res.status;
      text = (await res.text().catch(() => '')).slice(0, 500);
      retryAfter = parseRetryAfter(res.headers.get('retry-after'));
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    const latency = Date.now() - started;
    const ok = status !== null && status >= 200 && status < 300;
    // The attempt and the movement's new state commit together (one statement).
    await this.movements.recordAttempt(row.id, ok, { attempt, statusCode: status, error, latencyMs: latency, response: text || null });
    if (ok) return 'acknowledged';
    if (status === 410) {
      await this.disableBank(ctx, `HTTP 410 from ${bank.webhookUrl}`);
      return 'endpoint_gone';
    }
    const delay = this.retryDelay(attempt);
    if (delay === null) {
      await this.deadLetter(ctx, status, error);
      return 'dead_lettered';
    }
    const base = (status === 429 || status === 503) && retryAfter !== null ? retryAfter : delay;
    const jitter = Math.floor(base * this.config.SETTLEMENT_RETRY_JITTER * Math.random());
    await this.schedule(row.id, attempt + 1, base + jitter, round);
    return 'retry';
  }

  private async schedule(instructionId: string, attempt: number, delayMs: number, round: string, tag = 'a'): Promise<void> {
    await this.movements.scheduleNextAttempt(instructionId, delayMs);
    await this.queues.add(JobName.DeliverSettlementInstruction, { instructionId, attempt, round }, jobId('deliver', instructionId, round, String(attempt), tag), { delay: delayMs });
  }

  private async disableBank({ row }: MovementContext, reason: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      await this.banks.disable(m, row.escrow_bank_code, reason);
      await this.movements.endpointGone(m, row.id);
      await this.events.raise(m, {
        institutionId: row.institution_id,
        districtCode: row.district_code,
        type: 'BANK_ENDPOINT_DISABLED',
        severity: 'critical',
        message: `Bank ${row.escrow_bank_code} answered 410 Gone: its webhook endpoint is disabled until an admin enables it`,
        details: { bankCode: row.escrow_bank_code, instructionId: row.id },
        dedupeKey: `bank-410:${row.escrow_bank_code}:${row.id}`,
      });
    });
    this.logger.error(`Bank ${row.escrow_bank_code} webhook disabled: ${reason}`);
  }

  private async deadLetter({ row }: MovementContext, status: number | null, error: string | null): Promise<void> {
    await this.ds.transaction(async (m) => {
      await this.movements.deadLetter(m, row.id);
      await this.events.raise(m, {
        institutionId: row.institution_id,
        districtCode: row.district_code,
        type: 'SETTLEMENT_DEAD_LETTERED',
        severity: 'critical',
        message: `Settlement instruction ${row.id} (${row.amount} ${row.currency}) was not accepted by ${row.escrow_bank_code} after ${this.maxAttempts} attempts`,
        details: { instructionId: row.id, endToEndRef: row.end_to_end_ref, lastStatus: status, lastError: error },
        dedupeKey: `dead-letter:${row.id}:${Date.now()}`,
      });
    });
  }

  /** Admin: deliver again from attempt 1 (after fixing the endpoint); same webhook id. Unknown id: 404. */
  async redeliver(instructionId: string): Promise<void> {
    const row = await this.movements.get(instructionId);
    if (!isDeliverable(row.state)) {
      throw new DomainError('INVALID_SETTLEMENT_TRANSITION', `A movement that is ${row.state} is not delivered again`, { instructionId, state: row.state });
    }
    await this.movements.clearDeadLetter(instructionId);
    const round = `r${Date.now()}`;
    await this.queues.add(JobName.DeliverSettlementInstruction, { instructionId, attempt: 1, round }, jobId('deliver', instructionId, round, '1'));
  }

  /** Admin: re-enables a bank endpoint disabled by a 410 and redelivers what waited for it. */
  async enableBank(code: string): Promise<number> {
    await this.banks.enable(code);
    const waiting = await this.movements.waitingForBank(code);
    for (const id of waiting) await this.redeliver(id);
    return waiting.length;
  }
}

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
