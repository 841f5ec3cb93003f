import { signWebhook } from '@modules/banks/webhook-signature';
import { WebhookHttpClient } from './webhook-http-client';

export type AttemptOutcome = 'acknowledged' | 'retry' | 'dead_lettered' | 'endpoint_gone' | 'waiting' | 'done';

/** One attempt as recorded by its owner (the first 500 characters of the answer). */
export interface WebhookAttempt {
  attempt: number;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  response: string | null;
}

/** What to send: the webhook id stays the same on every attempt, so the receiver can drop a repeat. */
export interface WebhookMessage {
  webhookId: string;
  url: string;
  /** Every current secret: one `v1,` signature each, so a rotation overlaps. */
  secrets: string[];
  body: string;
}

/**
 * What a kind of delivery (settlement instructions to banks, alerts to regulators) tells the
 * shared machinery: what to send now, and how to record an attempt, a dead letter, a 410 and
 * the next attempt. The retry schedule, the signature, the timeout, Retry-After and the outcome
 * rules are the machinery's, the same for every kind.
 */
export interface DeliveryPort {
  /** The message to send now, or 'done' (nothing to send any more) or 'waiting' (the port parked or scheduled it). */
  prepare(id: string, attempt: number, round: string): Promise<WebhookMessage | 'done' | 'waiting'>;
  recordAttempt(id: string, accepted: boolean, a: WebhookAttempt): Promise<void>;
  /** The receiver answered 410 Gone: its endpoint is to be disabled until someone enables it. */
  endpointGone(id: string, reason: string): Promise<void>;
  deadLetter(id: string, lastStatus: number | null, lastError: string | null, attempts: number): Promise<void>;
  schedule(id: string, attempt: number, delayMs: number, round: string): Promise<void>;
}

export interface DeliverySchedule {
  /** The delay before each retry (the first delivery goes at once). */
  delaysMs: number[];
  /** Up to this share of each delay is added at random. */
  jitter: number;
  timeoutMs: number;
}

/**
 * Standard Webhooks delivery with retries (issue 16 made it shared): signs with node:crypto
 * (`signWebhook`, checked against the `standardwebhooks` package in the unit tests), POSTs over a
 * kept-alive connection to the receiver (`WebhookHttpClient`) with a timeout, counts only 2xx,
 * disables on 410, honours Retry-After on 429 and 503, otherwise waits
 * the schedule's next delay (with jitter), and dead-letters after the last retry.
 */
export class WebhookDelivery {
  private readonly http: WebhookHttpClient;

  /** `maxSockets`: kept-alive connections per receiver at most (the worker's concurrency). */
  constructor(private readonly schedule: DeliverySchedule, maxSockets = 64) {
    this.http = new WebhookHttpClient({ maxSockets });
  }

  /** The first delivery plus one retry per configured delay. */
  get maxAttempts(): number {
    return this.schedule.delaysMs.length + 1;
  }

  /** Delay before the attempt after `attempt` failed; null when that was the last one. */
  retryDelay(attempt: number): number | null {
    return attempt <= this.schedule.delaysMs.length ? this.schedule.delaysMs[attempt - 1] : null;
  }

  /** Closes the kept-alive connections (at shutdown). */
  close(): void {
    this.http.destroy();
  }

  async attempt(port: DeliveryPort, id: string, attempt: number, round: string): Promise<AttemptOutcome> {
    const msg = await port.prepare(id, attempt, round);
    if (msg === 'done' || msg === 'waiting') return msg;
    // The signature timestamp is a transport fact: real time, never the business clock.
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = msg.secrets.map((s) => signWebhook(s, msg.webhookId, timestamp, msg.body)).join(' ');
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    let text = '';
    let retryAfter: number | null = null;
    try {
      const res = await this.http.post(
        msg.url,
        { 'content-type': 'application/json', 'webhook-id': msg.webhookId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature },
        msg.body,
        this.schedule.timeoutMs,
      );
      status = res.status;
      text = res.text;
      retryAfter = parseRetryAfter(res.retryAfter);
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    const ok = status !== null && status >= 200 && status < 300;
    await port.recordAttempt(id, ok, { attempt, statusCode: status, error, latencyMs: Date.now() - started, response: text || null });
    if (ok) return 'acknowledged';
    if (status === 410) {
      await port.endpointGone(id, `HTTP 410 from ${msg.url}`);
      return 'endpoint_gone';
    }
    const delay = this.retryDelay(attempt);
    if (delay === null) {
      await port.deadLetter(id, status, error, this.maxAttempts);
      return 'dead_lettered';
    }
    const base = (status === 429 || status === 503) && retryAfter !== null ? retryAfter : delay;
    const jitter = Math.floor(base * this.schedule.jitter * Math.random());
    await port.schedule(id, attempt + 1, base + jitter, round);
    return 'retry';
  }
}

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** The schedule of the configuration (SETTLEMENT_RETRY_DELAYS_MS, _JITTER, _TIMEOUT_MS): shared by every delivery. */
export function scheduleOf(config: { SETTLEMENT_RETRY_DELAYS_MS: string; SETTLEMENT_RETRY_JITTER: number; SETTLEMENT_TIMEOUT_MS: number }): DeliverySchedule {
  return { delaysMs: config.SETTLEMENT_RETRY_DELAYS_MS.split(',').map(Number), jitter: config.SETTLEMENT_RETRY_JITTER, timeoutMs: config.SETTLEMENT_TIMEOUT_MS };
}
