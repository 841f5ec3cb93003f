import { Webhook } from 'standardwebhooks';

export type OpKind = 'credit' | 'session' | 'confirm';

/** What the client saw for one money operation, retried with the same identity until it got an answer it keeps. */
export interface Outcome {
  kind: OpKind;
  /** The natural key: bank transaction id, session key, or lesson id. */
  key: string;
  /** The final answer: 2xx (success), a 4xx the client accepts as final, or null (gave up). */
  status: number | null;
  /** Every answer in order (a status, or the network error's name). */
  tries: (number | string)[];
  body?: any; 
  doneAt?: number;
}

export interface TrafficTarget {
  baseUrl: string;
  bank: { key: string; secret: string; escrowAccountNumber: string };
  institution: { id: string; key: string; courseId: string };
  /** Active contracts the sessions consume lessons of (with their payer token, to confirm). */
  funded: { id: string; payerToken: string }[];
  /** Contracts awaiting payment that the credits pay in part by part. */
  unfunded: { reference: string }[];
}

/** An answer that will not change if the same request is sent again. */
const final = (s: number) => (s >= 200 && s < 300) || (s >= 400 && s < 500 && s !== 409 && s !== 429);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Concurrent money traffic through the public API as real clients send it: bank credits
 * (signed, partial payments of contracts awaiting payment), class sessions of three attendees
 * (with an Idempotency-Key) and the payer's confirmation of each lesson. A failed request is
 * retried with the same identity (bank transaction id and webhook-id, session key and
 * Idempotency-Key, lesson id) until its answer is final or `giveUpAt`.
 */
export class MoneyTraffic {
  readonly outcomes: Outcome[] = [];
  private n = 0;
  private stopping = false;
  private giveUpAt = Number.POSITIVE_INFINITY;
  private readonly runId = Date.now().toString(36);

  constructor(private readonly t: TrafficTarget) {}

  /** Runs `concurrency` client loops until `stop()`. */
  run(concurrency: number): Promise<void> {
    return Promise.all(Array.from({ length: concurrency }, (_, i) => this.loop(i))).then(() => undefined);
  }

  /** No new operations; the ones under way keep retrying until `graceMs` from now. */
  stop(graceMs: number): void {
    this.stopping = true;
    this.giveUpAt = Date.now() + graceMs;
  }

  private async loop(i: number): Promise<void> {
    while (!this.stopping) {
      const n = ++this.n;
      if ((n + i) % 3 === 0) await this.credit(n);
      else await this.session(n);
    }
  }

  private async credit(n: number): Promise<void> {
    const reference = this.t.unfunded[n % this.t.unfunded.length].reference;
    const bankTransactionId = `FLT-${this.runId}-${n}`;
    const payload = JSON.stringify({ bankTransactionId, escrowAccountNumber: this.t.bank.escrowAccountNumber, amount: '10.00', currency: 'CNY', valueDate: '2026-11-22', payerReference: reference });
    const webhookId = `flt-msg-${this.runId}-${n}`;
    await this.send('credit', bankTransactionId, () => {
      const at = new Date();
      return {
        path: '/bank/credits',
        key: this.t.bank.key,
        body: payload,
        headers: { 'webhook-id': webhookId, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(this.t.bank.secret).sign(webhookId, at, payload) },
      };
    });
  }

  private async session(n: number): Promise<void> {
    const pool = this.t.funded;
    const attendees = [0, 1, 2].map((k) => pool[(n * 5 + k * 2) % pool.length].id);
    const unique = [...new Set(attendees)];
    const sessionKey = `flt-${this.runId}-${n}`;
    const startsAt = new Date(Date.now() - 12 * 3600_000 + n * 30_000);
    const body = JSON.stringify({
      sessionKey,
      courseId: this.t.institution.courseId,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 45 * 60_000).toISOString(),
      teacher: 'T',
      location: 'R',
      attendees: unique,
    });
    const o = await this.send('session', sessionKey, () => ({
      path: `/institutions/${this.t.institution.id}/lesson-sessions`,
      key: this.t.institution.key,
      body,
      headers: { 'idempotency-key': sessionKey },
    }));
    if (o.status !== 201) return;
    for (const lesson of o.body.lessons as { id: string; contractId: string }[]) {
      const token = pool.find((c) => c.id === lesson.contractId)?.payerToken;
      if (!token) throw new Error(`lesson ${lesson.id} of an unknown contract ${lesson.contractId}`);
      await this.send('confirm', lesson.id, () => ({ path: `/payer/lessons/${lesson.id}/confirm`, key: null, body: undefined, headers: { 'payer-token': token } }));
    }
  }

  private async send(kind: OpKind, key: string, build: () => { path: string; key: string | null; body?: string; headers: Record<string, string> }): Promise<Outcome> {
    const o: Outcome = { kind, key, status: null, tries: [] };
    this.outcomes.push(o);
    while (Date.now() < this.giveUpAt) {
      const req = build();
      const headers: Record<string, string> = { ...req.headers };
      if (req.key) headers.authorization = `Bearer ${req.key}`;
      if (req.body !== undefined) headers['content-type'] = 'application/json';
      try {
        const res = await fetch(`${this.t.baseUrl}${req.path}`, { method: 'POST', headers, body: req.body, signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        o.tries.push(res.status);
        if (final(res.status)) {
          o.status = res.status;
          o.body = text ? JSON.parse(text) : undefined;
          o.doneAt = Date.now();
          return o;
        }
      } catch (err) {
        o.tries.push((err as Error).name);
      }
      await sleep(100);
    }
    return o;
  }
}
