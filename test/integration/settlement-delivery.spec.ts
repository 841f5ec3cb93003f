import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Clock } from '../../src/common/clock';
import { school } from '../support/contract-fixtures';
import { eventually, QUEUE_BACKENDS, startTestApp, TestApp } from '../support/test-app';

interface Received {
  id: string;
  at: number;
  verified: boolean;
  body: { instructionId: string; sequence: number; amount: string; kind: string };
}

/** A custody bank's webhook endpoint on loopback, answering from a script. */
async function receiver(answer: (n: number) => { status: number; headers?: Record<string, string> }) {
  const received: Received[] = [];
  let secret = '';
  const server: Server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      let verified = false;
      try {
        new Webhook(secret).verify(raw, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      received.push({ id: String(req.headers['webhook-id']), at: Date.now(), verified, body: JSON.parse(raw) });
      const a = answer(received.length);
      res.writeHead(a.status, a.headers).end(a.status < 300 ? '{"accepted":true}' : `{"error":"status ${a.status}"}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/escrow/webhooks`;
  return { url, received, setSecret: (s: string) => (secret = s), close: () => new Promise((r) => server.close(r)) };
}

describe.each(QUEUE_BACKENDS)('settlement delivery on %s', (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ backend, env: { SETTLEMENT_RETRY_DELAYS_MS: '0,100,100,100', SETTLEMENT_RETRY_JITTER: '0', OUTBOX_POLL_MS: '50' } });
  });
  afterEach(() => t.close());

  /** A confirmed lesson of 100.00 produces one release instruction for bank ICBC-SH. */
  async function releaseOneLesson(webhookUrl: string, setSecret: (s: string) => void) {
    const bank = await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC', webhookUrl } });
    setSecret(bank.body.secret);
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t);
    await t.request('PATCH', `/institutions/${s.inst.id}`, { key: s.r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: '4567891230001' } });
    const c = await s.contract(2, '200.00');
    t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
    const lesson = (
      await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
        key: s.instKey,
        body: { sessionKey: 'd1', courseId: s.course.id, startsAt: '2026-12-05T01:00:00Z', endsAt: '2026-12-05T02:00:00Z', teacher: 'T', location: 'R', attendees: [c.id] },
      })
    ).body.lessons[0];
    await t.request('POST', `/payer/lessons/${lesson.id}/confirm`, { key: null, headers: { 'payer-token': c.payerToken } });
    const [instruction] = await t.db.query<{ id: string }>(`SELECT id FROM settlement_instructions`);
    return { secret: bank.body.secret as string, instructionId: instruction.id, s };
  }

  const details = async (id: string) => (await t.request('GET', `/admin/settlement-instructions/${id}`)).body;

  it('a receiver that fails three times then succeeds gets the instruction after four recorded attempts, same webhook-id', async () => {
    const r = await receiver((n) => ({ status: n <= 3 ? 500 : 200 }));
    try {
      const { instructionId } = await releaseOneLesson(r.url, r.setSecret);
      const done = await eventually(async () => {
        const d = await details(instructionId);
        return d.state === 'acknowledged' ? d : null;
      });
      expect(done.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 500, 200]);
      expect(done.attempts.every((a: { latency_ms: number }) => a.latency_ms >= 0)).toBe(true);
      expect(r.received).toHaveLength(4);
      expect(new Set(r.received.map((x) => x.id))).toEqual(new Set([instructionId]));
      expect(r.received.every((x) => x.verified)).toBe(true);
      expect(r.received[0].body).toMatchObject({ instructionId, kind: 'release', amount: '100.00', sequence: 1 });
      expect(done.sequence).toBe('1');
    } finally {
      await r.close();
    }
  });

  it('410 disables the endpoint and alerts; enabling redelivers', async () => {
    let gone = true;
    const r = await receiver(() => ({ status: gone ? 410 : 200 }));
    try {
      const { instructionId, s } = await releaseOneLesson(r.url, r.setSecret);
      await eventually(async () => (await t.db.query(`SELECT 1 FROM banks WHERE code = 'ICBC-SH' AND disabled_at IS NOT NULL`)).length === 1);
      expect((await details(instructionId)).state).toBe('queued');
      const events = (await t.request('GET', `/supervision-events?type=BANK_ENDPOINT_DISABLED`, { key: s.r1 })).body.items;
      expect(events).toHaveLength(1);
      gone = false;
      expect((await t.request('POST', '/admin/banks/ICBC-SH/enable')).body).toMatchObject({ enabled: true, redelivering: 1 });
      await eventually(async () => (await details(instructionId)).state === 'acknowledged');
      expect(r.received.map((x) => x.id)).toEqual([instructionId, instructionId]);
    } finally {
      await r.close();
    }
  });

  it('dead-letters after the last attempt; an admin redelivers; 429 honours Retry-After', async () => {
    let mode: 'down' | 'limited' | 'up' = 'down';
    const r = await receiver(() => (mode === 'down' ? { status: 503 } : mode === 'limited' ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    try {
      const { instructionId } = await releaseOneLesson(r.url, r.setSecret);
      await eventually(async () => (await details(instructionId)).dead_lettered_at !== null);
      expect((await details(instructionId)).attempts).toHaveLength(4);
      const dead = (await t.request('GET', '/admin/settlement-instructions?deadLettered=true')).body;
      expect(dead.map((d: { id: string }) => d.id)).toEqual([instructionId]);
      mode = 'limited';
      const before = r.received.length;
      await t.request('POST', `/admin/settlement-instructions/${instructionId}/redeliver`);
      await eventually(async () => r.received.length === before + 1);
      mode = 'up';
      await eventually(async () => (await details(instructionId)).state === 'acknowledged', 20000);
      const gap = r.received[before + 1].at - r.received[before].at;
      expect(gap).toBeGreaterThanOrEqual(900);
    } finally {
      await r.close();
    }
  });
});
