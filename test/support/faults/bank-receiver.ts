import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type ReceiverMode = 'up' | 'down' | 'blackhole';

export interface Delivery {
  webhookId: string;
  instructionId: string;
  at: number;
  verified: boolean;
  /** True for the first verified delivery of its webhook-id (the bank's effect); repeats are dropped. */
  effect: boolean;
}

export interface Movement {
  instructionId: string;
  amount: string;
  currency: string;
  from: { accountNumber: string };
}

/**
 * A custody bank's webhook endpoint on a fixed loopback port, with its own idempotency (a
 * webhook-id it has seen is answered 202 again and changes nothing). The network to it can be
 * cut: `down` closes the port (connections refused, open ones reset), `blackhole` accepts
 * connections and never answers (the sender's timeout fires), `up` answers again. `onEffect`
 * runs once per new webhook-id (e.g. the bank's executed callback).
 */
export class BankReceiver {
  readonly deliveries: Delivery[] = [];
  secret = '';
  delayMs = 0;
  onEffect: (m: Movement) => void = () => undefined;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly seen = new Set<string>();
  private port = 0;
  private modeNow: ReceiverMode = 'down';

  get url(): string {
    return `http://127.0.0.1:${this.port}/escrow/webhooks`;
  }

  get mode(): ReceiverMode {
    return this.modeNow;
  }

  /** Effects (new webhook-ids) per instruction named in the body. */
  effectsByInstruction(): Map<string, number> {
    const m = new Map<string, number>();
    for (const d of this.deliveries) if (d.effect) m.set(d.instructionId, (m.get(d.instructionId) ?? 0) + 1);
    return m;
  }

  async setMode(mode: ReceiverMode): Promise<void> {
    if (mode === this.modeNow) return;
    if (mode === 'down') {
      this.modeNow = mode;
      await this.closeServer();
      return;
    }
    // From blackhole to up: drop the connections left hanging, the sender has timed out on them.
    if (this.modeNow === 'blackhole') for (const s of this.sockets) s.destroy();
    if (!this.server) await this.listen();
    this.modeNow = mode;
  }

  async close(): Promise<void> {
    this.modeNow = 'down';
    await this.closeServer();
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise((r) => server.close(r));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      if (this.modeNow === 'blackhole') return; // never answered: the socket is destroyed later
      const webhookId = String(req.headers['webhook-id']);
      let verified = false;
      try {
        new Webhook(this.secret).verify(raw, req.headers as Record<string, string>);
        verified = true;
      } catch {
        /* forged or stale: refused below */
      }
      const body = (JSON.parse(raw) as Movement) ?? ({} as Movement);
      const effect = verified && !this.seen.has(webhookId);
      if (effect) this.seen.add(webhookId);
      this.deliveries.push({ webhookId, instructionId: body.instructionId, at: Date.now(), verified, effect });
      const answer = () => {
        // The bank has it even when the answer is lost on the way back (the network was cut).
        if (effect) this.onEffect(body);
        if (res.writable) res.writeHead(verified ? 202 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: verified, duplicate: verified && !effect }));
      };
      if (this.delayMs > 0) setTimeout(answer, this.delayMs);
      else answer();
    });
  }

  /** Starts listening on a free port (the port is kept across `down`/`up`). */
  static async start(): Promise<BankReceiver> {
    const r = new BankReceiver();
    await r.listen();
    r.modeNow = 'up';
    return r;
  }
}

/**
 * The bank's side after an effect: it executes the transfer and reports it (signed, retried until
 * the service answers 201). `pending()` resolves when every report was accepted.
 */
export function executingBank(baseUrl: string, bankKey: string, secret: string) {
  const reports: Promise<void>[] = [];
  const errors: Error[] = [];
  const report = async (m: Movement): Promise<void> => {
    const payload = JSON.stringify({
      instructionId: m.instructionId,
      status: 'executed',
      amount: m.amount,
      currency: m.currency,
      fromAccountNumber: m.from.accountNumber,
      bankTransactionId: `EXE-${m.instructionId.slice(0, 8)}`,
    });
    const id = `exec-${m.instructionId}`;
    for (let i = 0; i < 100; i++) {
      const at = new Date();
      const res = await fetch(`${baseUrl}/bank/settlement-results`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bankKey}`,
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(id, at, payload),
        },
        body: payload,
      }).catch(() => null);
      if (res?.status === 201) return;
      if (res && res.status < 500 && res.status !== 409) throw new Error(`settlement result refused: ${res.status} ${await res.text()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`settlement result for ${m.instructionId} never accepted`);
  };
  return {
    onEffect: (m: Movement) => void reports.push(report(m).catch((err: Error) => void errors.push(err))),
    pending: async () => {
      await Promise.all(reports);
      if (errors.length) throw errors[0];
    },
  };
}
