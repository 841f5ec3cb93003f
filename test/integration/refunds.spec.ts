import { getDataSourceToken } from '@nestjs/typeorm';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { Clock } from '@common/clock';
import { Money } from '@common/money/money';
import { LedgerService } from '@modules/ledger/ledger.service';
import { RefundDeadlinesJob } from '@modules/refunds/jobs/refund-deadlines.job';
import { bankReceiver, Received } from '../support/bank-receiver';
import { school } from '../support/contract-fixtures';
import { invariantViolations } from '../support/invariants';
import { ledgerViolations } from '../support/ledger-fixtures';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Refunds (issue 14): the payer asks with the contract's token, the amount is computed, the
 * institution answers (silence is approval), a contested request is decided by the district's
 * regulator, and the approved refund moves held → refund payable and goes to the bank as a
 * refund movement, which the bank executes or fails.
 */
describe('refunds', () => {
  let t: TestApp;
  let bank: Awaited<ReturnType<typeof bankReceiver>>;
  let delivered: Received[];
  let secret = '';
  let seq = 0;
  const clock = () => t.app.get(Clock);

  beforeAll(async () => {
    t = await startTestApp({ env: { SETTLEMENT_RETRY_DELAYS_MS: '0,100', SETTLEMENT_RETRY_JITTER: '0', OUTBOX_POLL_MS: '50' } });
    bank = await bankReceiver();
    delivered = bank.received;
    secret = (await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC', webhookUrl: bank.url } })).body.secret;
    bank.setSecret(secret);
  });
  afterAll(async () => {
    await bank.close();
    await t.close();
  });

  /** A school of `district` whose credits carry the payer's account, and a contract signed on 22 November and paid in full. */
  const setup = async (lessons: number, total: string, district = '310117', opts: { payerAccounts?: boolean; before?: (s: Awaited<ReturnType<typeof school>>) => Promise<void> } = {}) => {
    clock().travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t, { district, payerAccounts: opts.payerAccounts ?? true });
    await opts.before?.(s);
    const c = await s.contract(lessons, total);
    const payer = { key: null, headers: { 'payer-token': c.payerToken } };
    const deliver = async (day: string) => {
      const res = await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
        key: s.instKey,
        body: { sessionKey: `r-${++seq}`, courseId: s.course.id, startsAt: `${day}T01:00:00Z`, endsAt: `${day}T02:00:00Z`, teacher: '王', location: '2', attendees: [c.id] },
      });
      return res;
    };
    const deliverMany = async (n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push((await deliver(`2026-12-${String(i + 1).padStart(2, '0')}`)).body.lessons[0].id);
      return ids;
    };
    const confirm = async (lessonId: string) => (await t.request('POST', `/payer/lessons/${lessonId}/confirm`, payer)).body;
    const balance = async () => (await t.request('GET', `/ledger/contracts/${c.id}/balance`, { key: s.r1 })).body;
    const state = async () => (await t.request('GET', `/contracts/${c.id}`)).body.state;
    const ask = (reason = '孩子转学', headers: Record<string, string> = {}) => t.request('POST', '/payer/refunds', { ...payer, headers: { ...payer.headers, ...headers }, body: { reason } });
    const report = (movementId: string, amount: string, result: { status: 'executed'; bankTransactionId: string } | { status: 'failed'; reasonCode: string }) => {
      const payload = JSON.stringify({ instructionId: movementId, amount, currency: 'CNY', fromAccountNumber: s.escrow.accountNumber, ...result });
      const id = `refund-result-${++seq}`;
      const at = new Date();
      return t.request('POST', '/bank/settlement-results', {
        key: s.bankKey,
        rawBody: payload,
        headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, payload) },
      });
    };
    return { s, c, payer, deliver, deliverMany, confirm, balance, state, ask, report };
  };

  it('before the start: everything paid in, approved by the institution, paid to the original account by the bank', async () => {
    const x = await setup(10, '1000.00');
    clock().travelTo(new Date('2026-11-25T04:00:00Z')); // Wednesday
    const asked = await x.ask('孩子转学', { 'idempotency-key': 'ask-1' });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({
      state: 'requested',
      contractId: x.c.id,
      respondBy: '2026-12-02', // 5 working days
      computation: { phase: 'before_start', lessons: 10, lessonsConsumed: 0, consumedAmount: '0.00', remainingLessons: 10, paidIn: '1000.00', refund: '1000.00' },
      amount: null,
      payee: { bank: 'CMB-SH', accountNumber: expect.stringMatching(/^\*+\d{4}$/), accountName: '家长' },
    });
    // The same key again: the first answer; another request while one is open: 409.
    const replay = await x.ask('孩子转学', { 'idempotency-key': 'ask-1' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(asked.body.id);
    const twice = await x.ask();
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({ code: 'REFUND_ALREADY_OPEN', details: { refundId: asked.body.id } });
    expect((await t.request('GET', '/payer/refunds', x.payer)).body).toMatchObject({ contractState: 'active', quote: { refund: '1000.00' }, refunds: [{ id: asked.body.id }] });

    const approved = await t.request('POST', `/refunds/${asked.body.id}/approve`, { key: x.s.instKey });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'approved', approval: 'institution', amount: '1000.00', payBy: '2026-11-30', movementId: expect.any(String) });
    expect(await x.state()).toBe('terminated');
    expect(await x.balance()).toMatchObject({ paidIn: '1000.00', refunded: '1000.00', held: '0.00', released: '0.00', consistent: true });
    // Approving again changes nothing.
    expect((await t.request('POST', `/refunds/${asked.body.id}/approve`, { key: x.s.instKey })).body.error.code).toBe('INVALID_REFUND_TRANSITION');

    // Delivered like every movement, as a refund to the payer's original account.
    const seen = await eventually(async () => delivered.find((d) => d.id === approved.body.movementId));
    expect(seen.verified).toBe(true);
    const [credit] = await t.db.query<{ n: string }>(`SELECT payer_account_number AS n FROM bank_credits WHERE contract_id = $1`, [x.c.id]);
    expect(seen.body).toMatchObject({ type: 'escrow.refund.instructed', kind: 'refund', amount: '1000.00', contractId: x.c.id, to: { bankCode: 'CMB-SH', accountNumber: credit.n, accountName: '家长' } });

    // The bank executes it: refund payable ↓, bank cash ↓; the refund is paid, the contract refunded.
    clock().travelTo(new Date('2026-12-02T04:00:00Z'));
    expect((await x.report(approved.body.movementId, '1000.00', { status: 'executed', bankTransactionId: `RF-${seq}` })).status).toBe(201);
    expect((await t.request('GET', `/refunds/${asked.body.id}`, { key: x.s.r1 })).body.state).toBe('paid');
    expect(await x.state()).toBe('refunded');
    const owner = { escrowAccountId: x.s.escrow.id, institutionId: x.s.inst.id, contractId: x.c.id, currency: 'CNY' };
    expect((await t.app.get(LedgerService).balanceOf('refund_payable', owner)).toString()).toBe('0.00');
    expect((await t.app.get(LedgerService).balanceOf('bank_cash', owner)).toString()).toBe('0.00');
    // A lesson registered afterwards is refused.
    const late = await x.deliver('2026-12-01');
    expect(late.status).toBe(422);
    expect(late.body.error.code).toBe('CONTRACT_NOT_ACTIVE');
    // A later request: nothing to refund.
    expect((await x.ask()).body.error.code).toBe('REFUND_NOT_POSSIBLE');
    expect(await ledgerViolations(t.app.get<DataSource>(getDataSourceToken()))).toEqual([]);
  });

  it('after 17 of 48 lessons for 11,111.11: the 31 remaining amounts, consumed-but-unreleased lessons stay with the institution', async () => {
    const x = await setup(48, '11111.11');
    clock().travelTo(new Date('2027-01-05T04:00:00Z'));
    const lessons = await x.deliverMany(17);
    for (const id of lessons.slice(0, 10)) expect((await x.confirm(id)).release).toBe('released');
    const quote = (await t.request('GET', '/payer/refunds', x.payer)).body.quote;
    expect(quote).toEqual({ phase: 'after_start', lessons: 48, lessonsConsumed: 17, consumedAmount: '3935.16', remainingLessons: 31, paidIn: '11111.11', refund: '7175.95' });
    const asked = await x.ask();
    expect(asked.body.computation).toEqual(quote);
    expect(asked.body.respondBy).toBe('2027-01-12');
    const approved = (await t.request('POST', `/refunds/${asked.body.id}/approve`, { key: x.s.instKey })).body;
    expect(approved).toMatchObject({ state: 'approved', amount: '7175.95', payBy: '2027-01-20' });
    // Held: the 7 delivered lessons not yet confirmed (7 × 231.48), released as they are confirmed.
    expect(await x.balance()).toMatchObject({ refunded: '7175.95', released: '2314.80', held: '1620.36', consistent: true });
    for (const id of lessons.slice(10, 16)) expect((await x.confirm(id)).release).toBe('released');
    // The 17th is disputed and withdrawn: the refund counted it as consumed, so its money follows the refund to the payer.
    expect((await t.request('POST', `/payer/lessons/${lessons[16]}/dispute`, { ...x.payer, body: { reason: '没上课' } })).status).toBe(200);
    expect((await t.request('POST', `/lessons/${lessons[16]}/withdraw`, { key: x.s.instKey, body: { reason: '确认未上课' } })).status).toBe(200);
    expect(await x.balance()).toMatchObject({ paidIn: '11111.11', refunded: '7407.43', released: '3703.68', held: '0.00', consistent: true });
    const movements = await t.db.query<{ source_ref: string; amount: string }>(`SELECT source_ref, amount::text FROM settlement_instructions WHERE contract_id = $1 AND kind = 'refund' ORDER BY created_at`, [x.c.id]);
    expect(movements).toEqual([
      { source_ref: `refund.${asked.body.id}`, amount: '7175.95' },
      { source_ref: `refund.${asked.body.id}.lesson.${lessons[16]}`, amount: '231.48' },
    ]);
  });

  it.each([
    ['tranches (Tianjin Binhai)', '120116'],
    ['weekly (Xiamen)', '350200'],
    ['after completion (Wuhu)', '340200'],
  ])('under %s: the refund takes only undelivered lessons; the delivered ones are released when confirmed', async (_, district) => {
    const x = await setup(10, '1000.01', district);
    clock().travelTo(new Date('2027-01-05T04:00:00Z'));
    const lessons = await x.deliverMany(4);
    for (const id of lessons.slice(0, 2)) await x.confirm(id);
    const asked = await x.ask();
    expect(asked.body.computation).toMatchObject({ lessonsConsumed: 4, consumedAmount: '400.00', refund: '600.01' });
    const approved = (await t.request('POST', `/refunds/${asked.body.id}/approve`, { key: x.s.instKey })).body;
    expect(approved.amount).toBe('600.01');
    expect(await x.balance()).toMatchObject({ refunded: '600.01', consistent: true });
    for (const id of lessons.slice(2)) await x.confirm(id);
    // Every delivered lesson's money is released (the tranche plan or completion can no longer fall due), nothing is left held.
    expect(await x.balance()).toMatchObject({ paidIn: '1000.01', refunded: '600.01', released: '400.00', held: '0.00', consistent: true });
    expect((await x.deliver('2026-12-20')).status).toBe(422);
  });

  it('silence is approval: deemed once by the scheduled job, counting working days across a holiday', async () => {
    const x = await setup(10, '1000.00');
    clock().travelTo(new Date('2026-11-25T04:00:00Z'));
    // Monday 30 November made a holiday: the fifth working day moves from 2 to 3 December.
    expect((await t.request('PUT', '/admin/calendar/2026-11-30', { body: { isWorkday: false, reason: 'test holiday' } })).status).toBe(200);
    const asked = (await x.ask()).body;
    expect(asked.respondBy).toBe('2026-12-03');
    const job = t.app.get(RefundDeadlinesJob);
    expect((await job.handle({ today: '2026-12-03' })).deemed).toBe(0);
    const runs = await Promise.all([job.handle({ today: '2026-12-04' }), job.handle({ today: '2026-12-04' }), t.request('POST', '/admin/refunds/deadlines-run', { body: { today: '2026-12-04' } })]);
    expect(runs[0].deemed + runs[1].deemed + runs[2].body.deemed).toBe(1);
    const after = (await t.request('GET', `/refunds/${asked.id}`)).body;
    expect(after).toMatchObject({ state: 'approved', approval: 'deemed', amount: '1000.00' });
    expect(await t.db.query(`SELECT 1 FROM settlement_instructions WHERE source_ref = $1`, [`refund.${asked.id}`])).toHaveLength(1);
    // Too late to answer now.
    expect((await t.request('POST', `/refunds/${asked.id}/contest`, { key: x.s.instKey, body: { reason: '太晚了' } })).body.error.code).toBe('INVALID_REFUND_TRANSITION');
    await t.request('PUT', '/admin/calendar/2026-11-30', { body: { isWorkday: true, reason: 'test holiday removed' } });
  });

  it('contested: the district regulator decides; another district or institution cannot reach it; partial leaves the rest to the institution', async () => {
    const x = await setup(10, '1000.00');
    const other = await school(t, { district: '310115' });
    clock().travelTo(new Date('2027-01-05T04:00:00Z'));
    const lessons = await x.deliverMany(2);
    for (const id of lessons) await x.confirm(id);
    const asked = (await x.ask('不满意')).body;
    // Scope: another institution, another district's regulator, another contract's payer token.
    expect((await t.request('POST', `/refunds/${asked.id}/contest`, { key: other.instKey, body: { reason: '不同意' } })).status).toBe(404);
    expect((await t.request('GET', `/refunds/${asked.id}`, { key: other.r1 })).status).toBe(404);
    expect((await t.request('GET', `/institutions/${x.s.inst.id}/refunds`, { key: other.instKey })).status).toBe(404);
    const stranger = await other.contract(5, '500.00');
    expect((await t.request('GET', '/payer/refunds', { key: null, headers: { 'payer-token': stranger.payerToken } })).body.refunds).toEqual([]);
    expect((await t.request('POST', '/payer/refunds', { key: null, headers: { 'payer-token': 'pay_forged' }, body: { reason: '伪造' } })).status).toBe(401);

    const contested = await t.request('POST', `/refunds/${asked.id}/contest`, { key: x.s.instKey, body: { reason: '教材已发放' } });
    expect(contested.body).toMatchObject({ state: 'contested', contestReason: '教材已发放' });
    const [event] = await t.db.query<{ type: string }>(`SELECT type FROM supervision_events WHERE institution_id = $1 AND type = 'REFUND_CONTESTED'`, [x.s.inst.id]);
    expect(event).toBeDefined();
    // The institution cannot decide its own case; another district's regulator does not see it.
    expect((await t.request('POST', `/refunds/${asked.id}/decision`, { key: x.s.instKey, body: { decision: 'full', reason: '同意' } })).status).toBe(403);
    expect((await t.request('POST', `/refunds/${asked.id}/decision`, { key: other.r1, body: { decision: 'full', reason: '同意' } })).status).toBe(404);
    // A partial decision needs an amount below the full refund (800.00 here), and only a partial one takes an amount.
    expect((await t.request('POST', `/refunds/${asked.id}/decision`, { key: x.s.r1, body: { decision: 'partial', reason: '部分' } })).status).toBe(400);
    expect((await t.request('POST', `/refunds/${asked.id}/decision`, { key: x.s.r1, body: { decision: 'full', amount: '1.00', reason: '全部' } })).status).toBe(400);
    expect((await t.request('POST', `/refunds/${asked.id}/decision`, { key: x.s.r1, body: { decision: 'partial', amount: '800.00', reason: '部分' } })).body.error.code).toBe('INVALID_REFUND_AMOUNT');
    const decided = await t.request('POST', `/refunds/${asked.id}/decision`, { key: x.s.r1, body: { decision: 'partial', amount: '700.00', reason: '教材费 100 元由机构保留' } });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ state: 'approved', approval: 'regulator', decision: 'partial', amount: '700.00', computation: { refund: '800.00' } });
    // 700.00 to the payer; the 100.00 the regulator left goes to the institution; nothing stays held.
    expect(await x.balance()).toMatchObject({ paidIn: '1000.00', refunded: '700.00', released: '300.00', held: '0.00', consistent: true });
  });

  it('refused: the contract goes on; a later request is possible', async () => {
    const x = await setup(10, '1000.00');
    clock().travelTo(new Date('2027-01-05T04:00:00Z'));
    const asked = (await x.ask()).body;
    await t.request('POST', `/refunds/${asked.id}/contest`, { key: x.s.instKey, body: { reason: '不同意' } });
    expect((await t.request('POST', `/refunds/${asked.id}/decision`, { key: x.s.r1, body: { decision: 'refuse', reason: '无正当理由' } })).body).toMatchObject({ state: 'refused', decision: 'refuse' });
    expect(await x.state()).toBe('active');
    expect((await x.deliver('2026-12-01')).status).toBe(201);
    expect((await x.ask('再次申请')).status).toBe(201);
  });

  it('refunds come first: paid from a frozen escrow account, while releases wait', async () => {
    const x = await setup(10, '1000.00');
    clock().travelTo(new Date('2027-01-05T04:00:00Z'));
    const [lesson] = await x.deliverMany(1);
    expect((await t.request('POST', `/escrow-accounts/${x.s.escrow.id}/freeze`, { key: x.s.r1, body: { reason: '风险' } })).status).toBe(200);
    expect((await x.confirm(lesson)).release).toBe('blocked_frozen');
    const asked = (await x.ask()).body;
    const approved = (await t.request('POST', `/refunds/${asked.id}/approve`, { key: x.s.instKey })).body;
    expect(approved).toMatchObject({ state: 'approved', amount: '900.00' });
    await eventually(async () => delivered.find((d) => d.id === approved.movementId));
    expect((await x.report(approved.movementId, '900.00', { status: 'executed', bankTransactionId: `RF-${seq}` })).status).toBe(201);
    expect(await x.balance()).toMatchObject({ refunded: '900.00', released: '0.00', held: '100.00', consistent: true });
    expect(await x.state()).toBe('refunded');
  });

  it('failed at the bank: an exception, the money stays payable to the payer; overdue raises a supervision event', async () => {
    const x = await setup(10, '1000.00');
    clock().travelTo(new Date('2027-01-05T04:00:00Z'));
    const asked = (await x.ask()).body;
    const approved = (await t.request('POST', `/refunds/${asked.id}/approve`, { key: x.s.instKey })).body;
    await eventually(async () => delivered.find((d) => d.id === approved.movementId));
    const failed = await x.report(approved.movementId, '1000.00', { status: 'failed', reasonCode: 'AC04' });
    expect(failed.body).toMatchObject({ state: 'failed', reasonCode: 'AC04' });
    expect((await t.request('GET', `/refunds/${asked.id}`)).body.state).toBe('failed');
    expect(await x.balance()).toMatchObject({ refunded: '1000.00', released: '0.00', held: '0.00', consistent: true });
    expect(await x.state()).toBe('terminated');
    const exceptions = await t.db.query(`SELECT 1 FROM escrow_exceptions WHERE type = 'SETTLEMENT_FAILED' AND institution_id = $1`, [x.s.inst.id]);
    expect(exceptions).toHaveLength(1);
    const job = t.app.get(RefundDeadlinesJob);
    expect((await job.handle({ today: approved.payBy })).overdue).toBe(0);
    const late = await Promise.all([job.handle({ today: '2027-02-01' }), job.handle({ today: '2027-02-01' })]);
    expect(late[0].overdue + late[1].overdue).toBeGreaterThanOrEqual(1); // other tests' refunds are overdue by then too
    expect((await job.handle({ today: '2027-02-02' })).overdue).toBe(0);
    expect(await t.db.query(`SELECT 1 FROM supervision_events WHERE type = 'REFUND_OVERDUE' AND institution_id = $1`, [x.s.inst.id])).toHaveLength(1);
  });

  it('a failed release is sent again after its cause is fixed: a new movement linked to the failed one, once', async () => {
    const x = await setup(10, '1000.00');
    const other = await school(t, { district: '310115' });
    clock().travelTo(new Date('2027-01-05T04:00:00Z'));
    const [lesson] = await x.deliverMany(1);
    expect((await x.confirm(lesson)).release).toBe('released');
    const [release] = await t.db.query<{ id: string; source_ref: string }>(`SELECT id, source_ref FROM settlement_instructions WHERE contract_id = $1 AND kind = 'release'`, [x.c.id]);
    await eventually(async () => delivered.find((d) => d.id === release.id));
    expect((await x.report(release.id, '100.00', { status: 'failed', reasonCode: 'AC04' })).status).toBe(201);
    const funds = async () => (await t.request('GET', `/ledger/institutions/${x.s.inst.id}/balance`, { key: x.s.r1 })).body;
    expect(await funds()).toMatchObject({ unsettled: '100.00', settled: '0.00' });
    // Not yet failed, not in scope, not a regulator's: refused.
    const path = `/settlement-instructions/${release.id}/reinstruct`;
    expect((await t.request('POST', path, { key: other.r1, body: { reason: '账户已更正' } })).status).toBe(404);
    expect((await t.request('POST', path, { key: x.s.instKey, body: { reason: '账户已更正' } })).status).toBe(403);
    expect((await t.request('POST', path, { key: x.s.r1, body: { reason: '账户已更正', payee: { accountNumber: '12345678' } } })).status).toBe(400);
    // The cause is fixed (a new payout account), then the regulator sends it again.
    await t.request('PATCH', `/institutions/${x.s.inst.id}`, { key: x.s.r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: '6200000000009999' } });
    const again = await t.request('POST', path, { key: x.s.r1, body: { reason: '账户已更正' } });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ reinstructsId: release.id, amount: '100.00', reason: '账户已更正', to: { bank: 'BOC-SH', accountNumber: '6200000000009999' } });
    expect(again.body.id).not.toBe(release.id);
    // Never the same instruction twice: asking again answers the same re-instruction.
    expect((await t.request('POST', path, { body: { reason: '再次' } })).body.id).toBe(again.body.id);
    expect(await t.db.query(`SELECT source_ref FROM settlement_instructions WHERE reinstructs_id = $1`, [release.id])).toEqual([{ source_ref: `${release.source_ref}.again` }]);
    expect((await t.request('POST', `/settlement-instructions/${again.body.id}/reinstruct`, { key: x.s.r1, body: { reason: '再次' } })).body.error.code).toBe('INVALID_SETTLEMENT_TRANSITION');
    // Delivered with the new account; the bank executes it: the money that waited in unsettled is paid out.
    const seen = await eventually(async () => delivered.find((d) => d.id === again.body.id));
    expect(seen.body).toMatchObject({ kind: 'release', to: { accountNumber: '6200000000009999' } });
    expect((await x.report(again.body.id, '100.00', { status: 'executed', bankTransactionId: `RL-${seq}` })).status).toBe(201);
    expect(await funds()).toMatchObject({ unsettled: '0.00', settled: '100.00' });
    expect(await ledgerViolations(t.app.get<DataSource>(getDataSourceToken()))).toEqual([]);
  });

  it('a failed refund is sent again, to a corrected account: the refund follows its new movement and is paid', async () => {
    const x = await setup(10, '1000.00');
    clock().travelTo(new Date('2026-11-25T04:00:00Z'));
    const asked = (await x.ask()).body;
    const approved = (await t.request('POST', `/refunds/${asked.id}/approve`, { key: x.s.instKey })).body;
    await eventually(async () => delivered.find((d) => d.id === approved.movementId));
    await x.report(approved.movementId, '1000.00', { status: 'failed', reasonCode: 'AC01' });
    expect((await t.request('GET', `/refunds/${asked.id}`)).body.state).toBe('failed');
    // Even from a frozen account: refunds come first.
    await t.request('POST', `/escrow-accounts/${x.s.escrow.id}/freeze`, { key: x.s.r1, body: { reason: '停办风险' } });
    const again = await t.request('POST', `/settlement-instructions/${approved.movementId}/reinstruct`, {
      key: x.s.r1,
      body: { reason: '家长更正了账户', payee: { bank: 'ABC-SH', accountNumber: '6228480000000077', accountName: '家长' } },
    });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ kind: 'refund', reinstructsId: approved.movementId, to: { bank: 'ABC-SH', accountNumber: '6228480000000077' } });
    expect((await t.request('GET', `/refunds/${asked.id}`)).body).toMatchObject({ state: 'approved', movementId: again.body.id });
    expect(await x.balance()).toMatchObject({ refunded: '1000.00', held: '0.00', consistent: true }); // nothing posted twice
    await eventually(async () => delivered.find((d) => d.id === again.body.id));
    expect((await x.report(again.body.id, '1000.00', { status: 'executed', bankTransactionId: `RF-${seq}` })).status).toBe(201);
    expect((await t.request('GET', `/refunds/${asked.id}`)).body.state).toBe('paid');
    expect(await x.state()).toBe('refunded');
  });

  it('a cadence that released ahead of delivery: the refund is never taken from elsewhere (422, REFUND_BLOCKED once)', async () => {
    const frontLoaded = async (s: Awaited<ReturnType<typeof school>>) => {
      const rules = (await t.request('GET', '/policies/resolve?district=310118', { key: s.r1 })).body.rules;
      const cadence = { kind: 'tranches', tranches: [{ atFraction: '1/4', percent: 90 }, { atFraction: '1', percent: 10 }] };
      expect((await t.request('POST', '/policies', { key: s.r1, body: { code: '310118', effectiveFrom: '2026-11-22', rules: { ...rules, releaseCadence: cadence } } })).status).toBe(201);
    };
    const x = await setup(8, '800.00', '310118', { before: frontLoaded });
    clock().travelTo(new Date('2027-01-05T04:00:00Z'));
    for (const id of await x.deliverMany(2)) await x.confirm(id);
    expect(await x.balance()).toMatchObject({ released: '720.00', held: '80.00' });
    const asked = (await x.ask()).body;
    expect(asked.computation).toMatchObject({ lessonsConsumed: 2, refund: '600.00' });
    for (let i = 0; i < 2; i++) {
      const refused = await t.request('POST', `/refunds/${asked.id}/approve`, { key: x.s.instKey });
      expect(refused.status).toBe(422);
      expect(refused.body.error).toMatchObject({ code: 'REFUND_EXCEEDS_HELD', details: { refund: '600.00', held: '80.00', shortfall: '520.00' } });
    }
    expect(await t.db.query(`SELECT 1 FROM supervision_events WHERE type = 'REFUND_BLOCKED' AND institution_id = $1`, [x.s.inst.id])).toHaveLength(1);
    expect(await x.state()).toBe('active');
    expect((await t.request('GET', `/refunds/${asked.id}`)).body.state).toBe('requested');
    expect(await x.balance()).toMatchObject({ refunded: '0.00', held: '80.00', consistent: true });
  });

  it('without a payer account on any credit there is no original channel: 422', async () => {
    const x = await setup(5, '500.00', '310117', { payerAccounts: false });
    clock().travelTo(new Date('2026-11-25T04:00:00Z'));
    expect((await x.ask()).body.error.code).toBe('REFUND_PAYER_ACCOUNT_UNKNOWN');
  });

  it('an approval racing attendances and releases never lets both take the same money', async () => {
    for (let round = 0; round < 4; round++) {
      const x = await setup(10, '1000.03');
      clock().travelTo(new Date('2027-01-05T04:00:00Z'));
      const delivered = await x.deliverMany(3);
      const asked = (await x.ask()).body;
      const [approve, ...others] = await Promise.all([
        t.request('POST', `/refunds/${asked.id}/approve`, { key: x.s.instKey }),
        x.deliver('2026-12-10'),
        x.deliver('2026-12-11'),
        t.request('POST', `/payer/lessons/${delivered[0]}/confirm`, x.payer),
        t.request('POST', `/payer/lessons/${delivered[1]}/confirm`, x.payer),
      ]);
      expect(approve.status).toBe(200);
      for (const r of others) expect([200, 201, 422]).toContain(r.status);
      const [c] = await t.db.query<{ lessons_consumed: number; amount_consumed: string }>(`SELECT lessons_consumed, amount_consumed::text FROM contracts WHERE id = $1`, [x.c.id]);
      const registered = others.slice(0, 2).filter((r) => r.status === 201).length;
      expect(c.lessons_consumed).toBe(3 + registered);
      // The refund is exactly the lessons not consumed when it was approved; the consumed ones stay to be released.
      expect(approve.body.computation.lessonsConsumed).toBe(c.lessons_consumed);
      const b = await x.balance();
      expect(b).toMatchObject({ paidIn: '1000.03', refunded: approve.body.amount, consistent: true });
      expect(Money.parse(approve.body.amount).plus(Money.fromDb(c.amount_consumed)).toString()).toBe('1000.03');
      for (const id of delivered.slice(2)) await x.confirm(id);
      for (const r of others.slice(0, 2)) if (r.status === 201) await x.confirm(r.body.lessons[0].id);
      expect(await x.balance()).toMatchObject({ held: '0.00', released: c.amount_consumed, consistent: true });
    }
    expect(await ledgerViolations(t.app.get<DataSource>(getDataSourceToken()))).toEqual([]);
  });

  it('the money invariants hold after every refund scenario (paid in = released + refunded + held, one instruction per release, ...)', async () => {
    // Deliveries may still be running: the checks read one consistent snapshot.
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });
});
