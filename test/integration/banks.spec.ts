import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Clock } from '@common/clock';
import { eligibleInstitution } from '../support/register-fixtures';
import { startTestApp, TEST_BANK_SECRET_KEYS, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-db';

interface Signed {
  key: string;
  secret: string;
  body?: string;
  at?: Date;
  id?: string;
}

/** A bank webhook signed (Standard Webhooks) with `secret` at `at`. */
function signedPost(t: TestApp, path: string, o: Signed) {
  const body = o.body ?? '{}';
  const at = o.at ?? new Date();
  const id = o.id ?? `msg_${randomBytes(6).toString('hex')}`;
  return t.request('POST', path, {
    key: o.key,
    rawBody: body,
    headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(o.secret).sign(id, at, body) },
  });
}

/**
 * Whether `secret` verifies for the bank right now, independent of what the endpoint does with a
 * valid body: a signed empty body is 400 once the signature passes, 401 when it does not.
 */
async function verifies(t: TestApp, key: string, secret: string): Promise<boolean> {
  const res = await signedPost(t, '/bank/credits', { key, secret });
  if (res.status !== 400 && res.status !== 401) throw new Error(`unexpected ${res.status}: ${res.text}`);
  return res.status === 400;
}

const ringKey = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe('banks: registry, settings, signatures', () => {
  let t: TestApp;
  let secret: string;
  let bankKey: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const res = await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: '工商银行上海分行', webhookUrl: 'https://bank.example/hooks' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ code: 'ICBC-SH', name: '工商银行上海分行', webhookUrl: 'https://bank.example/hooks', secrets: 1 });
    secret = res.body.secret;
    bankKey = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
  });
  afterAll(() => t.close());

  describe('secrets at rest', () => {
    it('stores only sealed secrets: no whsec_, no part of the secret, no plaintext column', async () => {
      expect(secret).toMatch(/^whsec_/);
      const [row] = await t.db.query<{ secrets: string[] | null; sealed: string; n: number }>(
        `SELECT secrets, sealed_secrets::text AS sealed, jsonb_array_length(sealed_secrets) AS n FROM banks WHERE code = 'ICBC-SH'`,
      );
      expect(row.secrets).toBeNull();
      expect(row.n).toBe(1);
      expect(row.sealed).not.toContain('whsec_');
      expect(row.sealed).not.toContain(secret.slice(6, 26));
      expect(JSON.parse(row.sealed)[0]).toMatchObject({ k: 'test-1' });
      // The whole table, every column: nothing of the secret anywhere.
      const dump = await t.db.query<{ dump: string }>(`SELECT string_agg(b::text, '|') AS dump FROM banks b`);
      expect(dump[0].dump).not.toContain('whsec_');
      expect(await verifies(t, bankKey, secret)).toBe(true);
    });
  });

  describe('admin endpoints', () => {
    it('lists and shows banks with secret counts and creation times, never the secrets', async () => {
      const list = await t.request('GET', '/admin/banks');
      expect(list.status).toBe(200);
      expect(list.body).toEqual([
        expect.objectContaining({ code: 'ICBC-SH', name: '工商银行上海分行', webhookUrl: 'https://bank.example/hooks', secrets: 1, disabledAt: null }),
      ]);
      const one = await t.request('GET', '/admin/banks/ICBC-SH');
      expect(one.status).toBe(200);
      expect(one.body.secretsCreatedAt).toHaveLength(1);
      expect(Number.isNaN(Date.parse(one.body.secretsCreatedAt[0]))).toBe(false);
      expect(one.body.history[0]).toMatchObject({ action: 'registered', actorId: expect.any(String) });
      for (const text of [list.text, one.text]) {
        expect(text).not.toContain('whsec_');
        expect(text).not.toContain(secret.slice(6, 26));
        expect(text).not.toMatch(/"(ct|iv|tag|sealed_secrets|k)"/);
      }
      expect((await t.request('GET', '/admin/banks/NOPE-1')).status).toBe(404);
      expect((await t.request('GET', '/admin/banks', { key: bankKey })).status).toBe(403);
    });

    it('PATCH changes the webhook URL and name, validated, recorded with the admin who did it', async () => {
      const admin2 = await t.createKey({ role: 'admin', name: 'second admin' });
      const res = await t.request('PATCH', '/admin/banks/ICBC-SH', { key: admin2, body: { webhookUrl: 'https://bank.example/hooks/v2' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ code: 'ICBC-SH', name: '工商银行上海分行', webhookUrl: 'https://bank.example/hooks/v2', secrets: 1 });
      const renamed = await t.request('PATCH', '/admin/banks/ICBC-SH', { body: { name: '工商银行上海市分行' } });
      expect(renamed.body).toMatchObject({ name: '工商银行上海市分行', webhookUrl: 'https://bank.example/hooks/v2' });

      const history = (await t.request('GET', '/admin/banks/ICBC-SH')).body.history.filter((h: { action: string }) => h.action === 'updated');
      expect(history[0]).toMatchObject({
        details: { before: { webhookUrl: 'https://bank.example/hooks' }, after: { webhookUrl: 'https://bank.example/hooks/v2' } },
      });
      const keys = (await t.request('GET', '/admin/api-keys')).body as { id: string; name: string }[];
      expect(keys.find((k) => k.id === history[0].actorId)?.name).toBe('second admin');

      for (const body of [{ webhookUrl: 'not a url' }, { webhookUrl: 'ftp://bank.example/x' }, { name: 'x' }, {}, { secrets: ['whsec_x'] }]) {
        const bad = await t.request('PATCH', '/admin/banks/ICBC-SH', { body });
        expect(bad.status).toBe(400);
        expect(bad.body.error.code).toBe('VALIDATION_FAILED');
      }
      const unknown = await t.request('PATCH', '/admin/banks/NOPE-1', { body: { name: 'Nope bank' } });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('BANK_NOT_FOUND');
      expect((await t.request('PATCH', '/admin/banks/ICBC-SH', { key: bankKey, body: { name: 'mine now' } })).status).toBe(403);
    });

    it('rotation overlaps, retiring keeps the last secret, unknown banks are 404, duplicates 409', async () => {
      const rotated = await t.request('POST', '/admin/banks/ICBC-SH/secrets');
      expect(rotated.status).toBe(201);
      expect(rotated.body).toMatchObject({ code: 'ICBC-SH', secrets: 2, secret: expect.stringMatching(/^whsec_/) });
      expect(await verifies(t, bankKey, secret)).toBe(true);
      expect(await verifies(t, bankKey, rotated.body.secret)).toBe(true);
      const [row] = await t.db.query<{ sealed: string }>(`SELECT sealed_secrets::text AS sealed FROM banks WHERE code = 'ICBC-SH'`);
      expect(row.sealed).not.toContain('whsec_');

      const retired = await t.request('POST', '/admin/banks/ICBC-SH/secrets/retire-oldest');
      expect(retired.status).toBe(200);
      expect(retired.body).toEqual({ code: 'ICBC-SH', secrets: 1 });
      expect(await verifies(t, bankKey, secret)).toBe(false);
      expect(await verifies(t, bankKey, rotated.body.secret)).toBe(true);
      secret = rotated.body.secret;

      const last = await t.request('POST', '/admin/banks/ICBC-SH/secrets/retire-oldest');
      expect(last.status).toBe(409);
      expect(await verifies(t, bankKey, secret)).toBe(true);
      expect((await t.request('POST', '/admin/banks/NOPE-1/secrets')).status).toBe(404);
      expect((await t.request('POST', '/admin/banks/NOPE-1/secrets/retire-oldest')).status).toBe(404);
      const again = await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'again' } });
      expect(again.status).toBe(409);
      const actions = (await t.request('GET', '/admin/banks/ICBC-SH')).body.history.map((h: { action: string }) => h.action);
      expect(actions).toEqual(['registered', 'updated', 'updated', 'secret_added', 'secret_retired']);
    });
  });

  describe('the signature is checked before the body', () => {
    const badCredit = JSON.stringify({ bankTransactionId: '', amount: 12.5, currency: 'yuan' });
    const badResult = JSON.stringify({ instructionId: 'not-a-uuid', status: 'maybe' });

    it.each(['/bank/credits', '/bank/settlement-results'])('%s: unsigned or forged bad body is 401, signed bad body is 400', async (path) => {
      const body = path === '/bank/credits' ? badCredit : badResult;
      const unsigned = await t.request('POST', path, { key: bankKey, rawBody: body });
      expect(unsigned.status).toBe(401);
      expect(unsigned.body.error.code).toBe('INVALID_SIGNATURE');

      const forged = await signedPost(t, path, { key: bankKey, secret: `whsec_${randomBytes(32).toString('base64')}`, body });
      expect(forged.status).toBe(401);
      expect(forged.body.error.code).toBe('INVALID_SIGNATURE');

      const stale = await signedPost(t, path, { key: bankKey, secret, body, at: new Date(Date.now() - 6 * 60 * 1000) });
      expect(stale.status).toBe(401);
      expect(stale.body.error.code).toBe('INVALID_SIGNATURE');

      // Signed over other bytes than those sent.
      const at = new Date();
      const swapped = await t.request('POST', path, {
        key: bankKey,
        rawBody: body,
        headers: { 'webhook-id': 'm-1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign('m-1', at, '{}') },
      });
      expect(swapped.status).toBe(401);

      const signed = await signedPost(t, path, { key: bankKey, secret, body });
      expect(signed.status).toBe(400);
      expect(signed.body.error.code).toMatch(/VALIDATION_FAILED|INVALID_AMOUNT/);

      // The API key is still checked first: no key 401 UNAUTHENTICATED, another role 403.
      expect((await t.request('POST', path, { key: null, rawBody: body })).body.error.code).toBe('UNAUTHENTICATED');
      expect((await t.request('POST', path, { rawBody: body })).status).toBe(403);
    });

    it('documents the three signature headers and the 401 on both bank endpoints', async () => {
      const doc = (await t.request('GET', '/openapi.json', { key: null })).body;
      for (const path of ['/bank/credits', '/bank/settlement-results']) {
        const op = doc.paths[path].post;
        const headers = op.parameters.filter((p: { in: string }) => p.in === 'header').map((p: { name: string; required: boolean }) => [p.name, p.required]);
        expect(headers).toEqual(expect.arrayContaining([['webhook-id', true], ['webhook-timestamp', true], ['webhook-signature', true]]));
        expect(op.responses['401'].description).toContain('INVALID_SIGNATURE');
      }
      const created = doc.paths['/bank/credits'].post.responses['201'];
      expect(created.description).toContain('Idempotent-Replayed');
      expect(created.headers['Idempotent-Replayed']).toBeDefined();
    });
  });

  describe('a credit replay', () => {
    it('answers the first status (201) again with Idempotent-Replayed: true', async () => {
      const r1 = await t.createKey({ role: 'regulator', districts: ['310117'] });
      const r2 = await t.createKey({ role: 'regulator', districts: ['310117'] });
      const { escrow } = await eligibleInstitution(t, [r1, r2]);
      const body = JSON.stringify({ bankTransactionId: 'REPLAY-1', escrowAccountNumber: escrow.accountNumber, amount: '10.00', currency: 'CNY', valueDate: '2026-11-22' });
      const first = await signedPost(t, '/bank/credits', { key: bankKey, secret, body });
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const repeat = await signedPost(t, '/bank/credits', { key: bankKey, secret, body });
      expect(repeat.status).toBe(201);
      expect(repeat.headers.get('idempotent-replayed')).toBe('true');
      expect(repeat.body).toEqual(first.body);
      const [{ n }] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM bank_credits WHERE bank_transaction_id = 'REPLAY-1'`);
      expect(n).toBe(1);
    });
  });
});

describe('bank secrets: sealing old rows and changing the key without downtime', () => {
  it('seals plaintext rows at boot, re-seals under a new first key, and refuses to start with a key that cannot open them', async () => {
    const db = await createTestDatabase();
    const apps: TestApp[] = [];
    try {
      // A row as the previous version stored it: plaintext secrets.
      const legacy = `whsec_${randomBytes(32).toString('base64')}`;
      await db.query(`INSERT INTO banks (code, name, secrets) VALUES ('OLD-1', 'Old bank', ARRAY[$1])`, [legacy]);

      const a1 = await startTestApp({ db, env: { PROCESS_ROLE: 'api' } });
      apps.push(a1);
      const [sealed] = await db.query<{ secrets: string[] | null; sealed: string }>(`SELECT secrets, sealed_secrets::text AS sealed FROM banks WHERE code = 'OLD-1'`);
      expect(sealed.secrets).toBeNull();
      expect(sealed.sealed).not.toContain('whsec_');
      expect(JSON.parse(sealed.sealed).map((s: { k: string }) => s.k)).toEqual(['test-1']);
      const oldKey = await a1.createKey({ role: 'bank', bankCode: 'OLD-1' });
      expect(await verifies(a1, oldKey, legacy)).toBe(true);
      const rotated = (await a1.request('POST', '/admin/banks/OLD-1/secrets')).body.secret as string;
      expect((await a1.request('GET', '/admin/banks/OLD-1')).body).toMatchObject({ secrets: 2, secretsCreatedAt: [null, expect.any(String)] });
      await a1.close();
      apps.pop();

      // Key change: the new key first, the old one still in the ring. Boot re-seals every row.
      const next = ringKey('test-2');
      const a2 = await startTestApp({ db, env: { PROCESS_ROLE: 'api', BANK_SECRET_KEYS: `${next},${TEST_BANK_SECRET_KEYS}` } });
      apps.push(a2);
      const [resealed] = await db.query<{ sealed: string }>(`SELECT sealed_secrets::text AS sealed FROM banks WHERE code = 'OLD-1'`);
      expect(JSON.parse(resealed.sealed).map((s: { k: string }) => s.k)).toEqual(['test-2', 'test-2']);
      expect(resealed.sealed).not.toEqual(sealed.sealed);
      expect(await verifies(a2, oldKey, legacy)).toBe(true);
      expect(await verifies(a2, oldKey, rotated)).toBe(true);
      const actions = (await a2.request('GET', '/admin/banks/OLD-1')).body.history.map((h: { action: string; details: { keyId?: string } }) => [h.action, h.details.keyId]);
      expect(actions).toEqual([
        ['secrets_sealed', 'test-1'],
        ['secret_added', undefined],
        ['secrets_resealed', 'test-2'],
      ]);
      await a2.close();
      apps.pop();

      // The old key removed: still verifies (nothing needs it any more).
      const a3 = await startTestApp({ db, env: { PROCESS_ROLE: 'api', BANK_SECRET_KEYS: next } });
      apps.push(a3);
      expect(await verifies(a3, oldKey, legacy)).toBe(true);
      await a3.close();
      apps.pop();

      // A dump opened with any other key: the service refuses to start rather than fail every signature.
      const other = startTestApp({ db, env: { PROCESS_ROLE: 'api', BANK_SECRET_KEYS: `${ringKey('test-2')},${TEST_BANK_SECRET_KEYS}` } });
      await expect(other).rejects.toThrow(/OLD-1 \(key "test-2"\) do not open with BANK_SECRET_KEYS/);
    } finally {
      for (const a of apps) await a.close();
      await db.drop();
    }
  });
});
