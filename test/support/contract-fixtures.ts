import { Webhook } from 'standardwebhooks';
import { BanksService } from '@modules/banks/banks.service';
import { eligibleInstitution } from './register-fixtures';
import { TestApp } from './test-app';

let txn = 0;

/** An eligible institution with a course, its institution key, and a registered bank that can fund contracts. */
export async function school(t: TestApp, opts: { validFrom?: string; bankCode?: string; district?: string; payoutAccount?: boolean; payerAccounts?: boolean } = {}) {
  const district = opts.district ?? '310117';
  const r1 = await t.createKey({ role: 'regulator', districts: [district] });
  const r2 = await t.createKey({ role: 'regulator', districts: [district] });
  const { inst, escrow } = await eligibleInstitution(t, [r1, r2], district, opts.validFrom);
  // Its payout (basic) account: releases are delivered only with an account to pay to.
  if (opts.payoutAccount !== false) await t.request('PATCH', `/institutions/${inst.id}`, { key: r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: `62${inst.uscc.slice(-10)}` } });
  const instKey = await t.createKey({ role: 'institution', institutionId: inst.id });
  const bankCode = opts.bankCode ?? 'ICBC-SH';
  // Secrets are stored sealed: ask the app for them, as delivery does.
  let secret = (await t.app.get(BanksService).deliveryTarget(bankCode))?.secrets[0];
  if (!secret) secret = (await t.request('POST', '/admin/banks', { body: { code: bankCode, name: bankCode } })).body.secret;
  const bankKey = await t.createKey({ role: 'bank', bankCode });
  const course = (
    await t.request('POST', `/institutions/${inst.id}/courses`, {
      key: instKey,
      body: { name: '数学', category: 'subject', kind: 'lesson_pack', lessonMinutes: 60, classSizeBand: 'large', listPricePerLesson: '100.00' },
    })
  ).body;

  const contract = async (lessons: number, total: string, dates = { startDate: '2026-12-01', endDate: '2027-02-28' }, pay = true) => {
    const res = await t.request('POST', `/institutions/${inst.id}/contracts`, {
      key: instKey,
      body: { courseId: course.id, payerName: '家长', payerPhone: '13600000000', studentName: '学生', lessons, totalPrice: total, ...dates },
    });
    if (res.status !== 201) throw new Error(`contract refused: ${JSON.stringify(res.body)}`);
    if (pay) await fund(res.body.reference, total);
    return res.body as { id: string; reference: string; payerToken: string };
  };

  const fund = async (reference: string, amount: string) => {
    const n = ++txn;
    // With payerAccounts, each credit names the account it came from (where a refund goes back to).
    const payerAccount = opts.payerAccounts ? { payerAccount: { bank: 'CMB-SH', accountNumber: `6225880${String(n).padStart(9, '0')}`, accountName: '家长' } } : {};
    const payload = JSON.stringify({ bankTransactionId: `T${Date.now()}-${n}`, escrowAccountNumber: escrow.accountNumber, amount, currency: 'CNY', valueDate: '2026-11-22', payerReference: reference, ...payerAccount });
    const at = new Date();
    const id = `msg-${txn}`;
    const res = await t.request('POST', '/bank/credits', {
      key: bankKey,
      rawBody: payload,
      headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret!).sign(id, at, payload) },
    });
    if (res.status !== 201) throw new Error(`credit refused: ${JSON.stringify(res.body)}`);
  };

  return { r1, r2, inst, escrow, instKey, course, contract, fund, bankKey, secret: secret! };
}
