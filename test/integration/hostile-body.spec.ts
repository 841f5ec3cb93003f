import { Webhook } from 'standardwebhooks';
import { JSON_LIMITS } from '@common/http/json-body';
import { ensureBank, institutionBody } from '../support/register-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

/** Bodies that must be refused at the edge, before validation or the database sees them. */
describe('hostile JSON bodies', () => {
  let t: TestApp;
  let regulator: string;
  let bankKey: string;
  let secret: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    regulator = await t.createKey({ role: 'regulator', districts: ['310117'] });
    secret = await ensureBank(t, 'ICBC-SH');
    bankKey = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
  });
  afterAll(() => t.close());

  const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
  const institutions = async () => (await t.db.query<{ n: string }>('SELECT count(*)::text AS n FROM institutions'))[0].n;

  const expectError = (res: { status: number; body: any }, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    expect(typeof res.body.error.message).toBe('string');
    expect(typeof res.body.requestId).toBe('string');
  };

  it('a body nested 10,000 levels deep (even in an unknown field) is 400 BODY_TOO_COMPLEX, never 500, and nothing is stored', async () => {
    const before = await institutions();
    const deep = `{"name":"x","extra":${nested(10_000)}}`;
    expectError(await t.request('POST', '/institutions', { key: regulator, rawBody: deep }), 400, 'BODY_TOO_COMPLEX');
    const justOver = `{"extra":${nested(JSON_LIMITS.maxDepth)}}`;
    expectError(await t.request('POST', '/institutions', { key: regulator, rawBody: justOver }), 400, 'BODY_TOO_COMPLEX');
    expect(await institutions()).toBe(before);
  });

  it('too many keys or array elements is 400 BODY_TOO_COMPLEX', async () => {
    const keys = Object.fromEntries(Array.from({ length: JSON_LIMITS.maxKeys + 1 }, (_, i) => [`k${i}`, 1]));
    expectError(await t.request('POST', '/institutions', { key: regulator, body: keys }), 400, 'BODY_TOO_COMPLEX');
    const long = { attendees: Array.from({ length: JSON_LIMITS.maxArrayLength + 1 }, () => 1) };
    expectError(await t.request('POST', '/institutions', { key: regulator, body: long }), 400, 'BODY_TOO_COMPLEX');
  });

  it('a NUL or another control character in a text field is 400 INVALID_CHARACTERS naming the field; ordinary text passes', async () => {
    const before = await institutions();
    for (const bad of ['松江\u0000培训', 'a\u0007b', 'x\u001b[31m']) {
      const res = await t.request('POST', '/institutions', { key: regulator, body: institutionBody('310117', { name: bad }) });
      expectError(res, 400, 'INVALID_CHARACTERS');
      expect(res.body.error.details).toEqual({ field: 'name' });
    }
    const inKey = await t.request('POST', '/institutions', { key: regulator, rawBody: '{"na\\u0000me":"x"}' });
    expectError(inKey, 400, 'INVALID_CHARACTERS');
    expect(await institutions()).toBe(before);
    const fine = await t.request('POST', '/institutions', { key: regulator, body: institutionBody('310117', { name: '松江星火艺术培训\t有限公司' }) });
    expect(fine.status).toBe(201);
  });

  it('only JSON bodies are accepted: a form body is 415 in the error shape', async () => {
    const res = await t.request('POST', '/institutions', { key: regulator, rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  describe('on signed bank routes the signature is checked first', () => {
    const send = (raw: string, sign: boolean) => {
      const id = `hostile-${Math.random().toString(36).slice(2)}`;
      const at = new Date();
      const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)) };
      headers['webhook-signature'] = sign ? new Webhook(secret).sign(id, at, raw) : 'v1,AAAA';
      return t.request('POST', '/bank/credits', { key: bankKey, rawBody: raw, headers });
    };

    it('an unsigned malformed, deep or NUL-laden body is 401 INVALID_SIGNATURE', async () => {
      for (const raw of ['{"amount": ', `{"x":${nested(5000)}}`, '{"bankTransactionId":"a\\u0000"}']) {
        expectError(await send(raw, false), 401, 'INVALID_SIGNATURE');
      }
    });

    it('the same bodies, signed, are 400 with their own codes', async () => {
      expectError(await send('{"amount": ', true), 400, 'MALFORMED_JSON');
      expectError(await send(`{"x":${nested(5000)}}`, true), 400, 'BODY_TOO_COMPLEX');
      expectError(await send('{"bankTransactionId":"a\\u0000"}', true), 400, 'INVALID_CHARACTERS');
    });

    it('signed notices with an ISO basic value date or an array for the payer account are 400', async () => {
      const notice = { bankTransactionId: 'HB-1', escrowAccountNumber: '1', amount: '1.00', currency: 'CNY', valueDate: '2026-11-22' };
      expectError(await send(JSON.stringify({ ...notice, valueDate: '20261122' }), true), 400, 'VALIDATION_FAILED');
      expectError(await send(JSON.stringify({ ...notice, payerAccount: [] }), true), 400, 'VALIDATION_FAILED');
    });
  });
});
