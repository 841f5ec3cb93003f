import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';
import { rowsOf } from '../../infra/database/sql';
import { JobName, jobId } from '../../infra/queues/queue.constants';
import { QueueService } from '../../infra/queues/queue.service';
import { SupervisionEventsRepository } from '../supervision/supervision-events.repository';

interface InstructionContext {
  id: string;
  kind: string;
  state: string;
  amount: string;
  currency: string;
  sequence: string | null;
  not_before: string | null;
  ledger_txn_id: string | null;
  created_at: Date;
  escrow_account_id: string;
  institution_id: string;
  district_code: string;
  institution_name: string;
  basic_account_bank: string | null;
  basic_account_number: string | null;
  bank_code: string;
  account_number: string;
  account_name: string;
  webhook_url: string | null;
  secrets: string[];
  bank_disabled_at: Date | null;
}

export type AttemptOutcome = 'acknowledged' | 'retry' | 'dead_lettered' | 'endpoint_gone' | 'waiting' | 'done';

const DELIVERABLE = ['pending', 'queued', 'sent'];

/**
 * Delivers settlement instructions to custody banks as Standard Webhooks (signed with every
 * current secret of the bank, so rotation overlaps). The webhook id is the instruction id, so a
 * repeated delivery carries the same id and the bank can drop it. Only 2xx counts; 410 disables
 * the endpoint and alerts; 429 and 503 honour Retry-After; otherwise the retry schedule applies
 * (with jitter) until the last attempt dead-letters the instruction. Every attempt is recorded.
 */
@Injectable()
export class SettlementDeliveryService {
  private readonly logger = new Logger(SettlementDeliveryService.name);
  private readonly delays: number[];

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly queues: QueueService,
    private readonly events: SupervisionEventsRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.delays = config.SETTLEMENT_RETRY_DELAYS_MS.split(',').map(Number);
  }

  get maxAttempts(): number {
    return this.delays.length;
  }

  private async load(id: string): Promise<InstructionContext | null> {
    const rows: InstructionContext[] = await this.ds.query(
      `SELECT s.id, s.kind, s.state, s.amount::text, s.currency, s.sequence::text, to_char(s.not_before, 'YYYY-MM-DD') AS not_before,
              s.ledger_txn_id::text, s.created_at, s.escrow_account_id, s.institution_id, i.district_code, i.name AS institution_name,
              i.basic_account_bank, i.basic_account_number, e.bank_code, e.account_number, e.account_name,
              b.webhook_url, coalesce(b.secrets, '{}') AS secrets, b.disabled_at AS bank_disabled_at
         FROM settlement_instructions s JOIN escrow_accounts e ON e.id = s.escrow_account_id JOIN institutions i ON i.id = s.institution_id
         LEFT JOIN banks b ON b.code = e.bank_code
        WHERE s.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * The per-escrow-account sequence number, assigned once, at first delivery, in one statement.
   * (Two attempts racing for one instruction may leave a gap in the account's sequence, never a
   * duplicate: the number is unique per escrow account.)
   */
  private async sequence(c: InstructionContext): Promise<string> {
    if (c.sequence) return c.sequence;
    const [row] = rowsOf<{ sequence: string }>(
      await this.ds.query(
        `WITH next AS (UPDATE escrow_accounts SET instruction_seq = instruction_seq + 1 WHERE id = $2 RETURNING instruction_seq)
         UPDATE settlement_instructions SET sequence = (SELECT instruction_seq FROM next) WHERE id = $1 AND sequence IS NULL RETURNING sequence::text`,
        [c.id, c.escrow_account_id],
      ),
    );
    if (row) return row.sequence;
    const [again]: { sequence: string }[] = await this.ds.query(`SELECT sequence::text FROM settlement_instructions WHERE id = $1`, [c.id]);
    return again.sequence;
  }

  payload(c: InstructionContext, sequence: string): string {
    return JSON.stringify({
      type: 'settlement.instruction',
      instructionId: c.id,
      kind: c.kind,
      sequence: Number(sequence),
      amount: c.amount,
      currency: c.currency,
      from: { bankCode: c.bank_code, accountNumber: c.account_number, accountName: c.account_name },
      to: { bank: c.basic_account_bank, accountNumber: c.basic_account_number, accountName: c.institution_name },
      institutionId: c.institution_id,
      ledgerTransactionId: c.ledger_txn_id,
      notBefore: c.not_before,
      createdAt: new Date(c.created_at).toISOString(),
    });
  }

  /**
   * One attempt; schedules the next one itself. A `round` is one pass through the retry schedule
   * (the first delivery, or an admin's redelivery): job ids are deterministic within a round, so a
   * crash while scheduling cannot double an attempt, and distinct across rounds.
   */
  async attempt(instructionId: string, attempt: number, round = 'r0'): Promise<AttemptOutcome> {
    const c = await this.load(instructionId);
    if (!c || !DELIVERABLE.includes(c.state)) return 'done';
    if (!c.webhook_url || c.secrets.length === 0 || c.bank_disabled_at) {
      await this.ds.query(`UPDATE settlement_instructions SET state = 'queued', updated_at = now() WHERE id = $1 AND state = 'pending'`, [c.id]);
      return 'waiting';
    }
    if (c.not_before && c.not_before > this.clock.today()) {
      const wait = Date.parse(`${c.not_before}T00:00:00+08:00`) - this.clock.now().getTime();
      await this.schedule(c.id, attempt, Math.max(wait, 1000), round, `nb${c.not_before}`);
      return 'waiting';
    }
    const sequence = await this.sequence(c);
    const body = this.payload(c, sequence);
    // The signature timestamp is a transport fact: real time, never the business clock.
    const at = new Date();
    const signature = c.secrets.map((s) => new Webhook(s).sign(c.id, at, body)).join(' ');
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    let text = '';
    let retryAfter: number | null = null;
    try {
      const res = await fetch(c.webhook_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': c.id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
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
    // The attempt and the instruction's new state, in one statement (one commit).
    await this.ds.query(
      `WITH attempt AS (
         INSERT INTO settlement_delivery_attempts (instruction_id, attempt, status_code, error, latency_ms, response) VALUES ($1, $3, $4, $5, $6, $7))
       UPDATE settlement_instructions SET attempts = attempts + 1, last_attempt_at = now(), updated_at = now(),
              state = CASE WHEN $2 THEN 'acknowledged' WHEN state IN ('pending', 'queued') THEN 'sent' ELSE state END
        WHERE id = $1 AND state IN ('pending', 'queued', 'sent')`,
      [c.id, ok, attempt, status, error, latency, text || null],
    );
    if (ok) return 'acknowledged';
    if (status === 410) {
      await this.disableBank(c, `HTTP 410 from ${c.webhook_url}`);
      return 'endpoint_gone';
    }
    if (attempt >= this.delays.length) {
      await this.deadLetter(c, status, error);
      return 'dead_lettered';
    }
    const base = (status === 429 || status === 503) && retryAfter !== null ? retryAfter : this.delays[attempt];
    const jitter = Math.floor(base * this.config.SETTLEMENT_RETRY_JITTER * Math.random());
    await this.schedule(c.id, attempt + 1, base + jitter, round);
    return 'retry';
  }

  private async schedule(instructionId: string, attempt: number, delayMs: number, round: string, tag = 'a'): Promise<void> {
    await this.ds.query(`UPDATE settlement_instructions SET next_attempt_at = now() + make_interval(secs => $2::float / 1000) WHERE id = $1`, [instructionId, delayMs]);
    await this.queues.add(JobName.DeliverSettlementInstruction, { instructionId, attempt, round }, jobId('deliver', instructionId, round, String(attempt), tag), { delay: delayMs });
  }

  private async disableBank(c: InstructionContext, reason: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.query(`UPDATE banks SET disabled_at = now(), disabled_reason = $2 WHERE code = $1 AND disabled_at IS NULL`, [c.bank_code, reason]);
      await m.query(`UPDATE settlement_instructions SET state = 'queued', next_attempt_at = NULL WHERE id = $1`, [c.id]);
      await this.events.raise(m, {
        institutionId: c.institution_id,
        districtCode: c.district_code,
        type: 'BANK_ENDPOINT_DISABLED',
        severity: 'critical',
        message: `Bank ${c.bank_code} answered 410 Gone: its webhook endpoint is disabled until an admin enables it`,
        details: { bankCode: c.bank_code, instructionId: c.id },
        dedupeKey: `bank-410:${c.bank_code}:${c.id}`,
      });
    });
    this.logger.error(`Bank ${c.bank_code} webhook disabled: ${reason}`);
  }

  private async deadLetter(c: InstructionContext, status: number | null, error: string | null): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.query(`UPDATE settlement_instructions SET dead_lettered_at = now(), next_attempt_at = NULL WHERE id = $1`, [c.id]);
      await this.events.raise(m, {
        institutionId: c.institution_id,
        districtCode: c.district_code,
        type: 'SETTLEMENT_DEAD_LETTERED',
        severity: 'critical',
        message: `Settlement instruction ${c.id} (${c.amount} ${c.currency}) was not accepted by ${c.bank_code} after ${this.delays.length} attempts`,
        details: { instructionId: c.id, lastStatus: status, lastError: error },
        dedupeKey: `dead-letter:${c.id}:${Date.now()}`,
      });
    });
  }

  /** Admin: deliver again from attempt 1 (after fixing the endpoint); same webhook id. */
  async redeliver(instructionId: string): Promise<void> {
    await this.ds.query(`UPDATE settlement_instructions SET dead_lettered_at = NULL WHERE id = $1`, [instructionId]);
    const round = `r${Date.now()}`;
    await this.queues.add(JobName.DeliverSettlementInstruction, { instructionId, attempt: 1, round }, jobId('deliver', instructionId, round, '1'));
  }
}

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
