import { chinaDate } from '@common/clock';
import { signedBy } from './bank-signing';
import { ensureBank, institutionBody } from './register-fixtures';
import { TestApp, TestResponse } from './test-app';

/**
 * A small district for the browser tests (test/integration/console.browser.spec.ts), built on the
 * real clock (the spawned service has no test clock): Songjiang (310117) with two institutions,
 * one with contracts paid in, lessons recorded (one confirmed, one disputed, one waiting for the
 * parent), a contested refund and a payer token revoked.
 */
export interface ConsoleWorld {
  district: string;
  regulatorKey: string;
  /** A second regulator key of the district, for the revoked-key case. */
  spareRegulatorKey: string;
  spareRegulatorKeyId: string;
  institutionId: string;
  institutionName: string;
  escrowId: string;
  escrowNumber: string;
  contractId: string;
  payerToken: string;
  pendingLessonId: string;
  disputedLessonId: string;
  revokedPayerToken: string;
}

const must = (res: TestResponse, what: string) => {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res.body;
};

const DAY = 86_400_000;
let seq = 0;

export async function buildConsoleWorld(t: TestApp): Promise<ConsoleWorld> {
  const now = Date.now();
  const day = (offset: number) => chinaDate(new Date(now + offset * DAY));
  const district = '310117';
  const bankCode = 'ICBC-SH';
  const secret = await ensureBank(t, bankCode);
  const [r1, r2] = [await t.createKey({ role: 'regulator', districts: [district] }), await t.createKey({ role: 'regulator', districts: [district] })];
  const spare = must(await t.request('POST', '/admin/api-keys', { body: { name: 'spare regulator', role: 'regulator', districts: [district] } }), 'spare key');

  const register = async (name: string) => {
    const inst = must(await t.request('POST', '/institutions', { key: r1, body: institutionBody(district, { name }) }), 'institution');
    const licence = must(await t.request('POST', `/institutions/${inst.id}/licences`, { key: r1 }), 'licence');
    must(await t.request('POST', `/licences/${licence.id}/review`, { key: r1, body: { licenceNumber: `LIC-${inst.uscc}`, validFrom: day(-60), validTo: day(3 * 365) } }), 'review');
    for (const r of [r1, r2]) must(await t.request('POST', `/licences/${licence.id}/approvals`, { key: r, body: {} }), 'approval');
    const escrowBody = { bankCode, accountNumber: `ESC${inst.uscc}`, accountName: `${inst.name}监管专户`, mode: 'full_custody', agreementReference: `AGR-${inst.uscc}` };
    const escrow = must(await t.request('POST', `/institutions/${inst.id}/escrow-accounts`, { key: r1, body: escrowBody }), 'escrow account');
    return { inst, escrow };
  };
  const { inst, escrow } = await register('上海启明星教育培训有限公司');
  await register('上海松江晨曦艺术培训中心');

  const instKey = await t.createKey({ role: 'institution', institutionId: inst.id });
  const bankKey = await t.createKey({ role: 'bank', bankCode });
  const courseBody = { name: '初中数学', category: 'subject', kind: 'lesson_pack', lessonMinutes: 60, classSizeBand: 'large', listPricePerLesson: '100.00' };
  const course = must(await t.request('POST', `/institutions/${inst.id}/courses`, { key: instKey, body: courseBody }), 'course');
  const contract = async (studentName: string, lessons: number, totalPrice: string) => {
    const body = { courseId: course.id, payerName: '王女士', payerPhone: '13600000000', studentName, lessons, totalPrice, startDate: day(-10), endDate: day(60) };
    const c = must(await t.request('POST', `/institutions/${inst.id}/contracts`, { key: instKey, body }), 'contract');
    const payerAccount = { bank: 'CMB-SH', accountNumber: `6225880${++seq}${Date.now() % 100000}`, accountName: '王女士' };
    const payload = JSON.stringify({ bankTransactionId: `CW${Date.now()}${++seq}`, escrowAccountNumber: escrow.accountNumber, amount: totalPrice, currency: 'CNY', valueDate: day(0), payerReference: c.reference, payerAccount });
    must(await t.request('POST', '/bank/credits', { key: bankKey, rawBody: payload, headers: signedBy(secret, payload, `cw-${++seq}`) }), 'credit');
    return c as { id: string; reference: string; payerToken: string };
  };
  const main = await contract('王小明', 30, '2999.70');
  const second = await contract('李华', 24, '2345.67');
  const revoked = await contract('赵磊', 10, '980.00');
  must(await t.request('POST', `/contracts/${revoked.id}/payer-token/revoke`, { key: instKey }), 'revoke payer token');

  const lesson = async (c: { id: string }, hoursAgo: number) => {
    const at = (h: number) => new Date(now - h * 3_600_000).toISOString();
    const body = { sessionKey: `cw-${++seq}`, courseId: course.id, startsAt: at(hoursAgo + 1), endsAt: at(hoursAgo), teacher: '刘老师', location: '3号教室', attendees: [c.id] };
    return must(await t.request('POST', `/institutions/${inst.id}/lesson-sessions`, { key: instKey, body }), 'lesson').lessons[0].id as string;
  };
  const payer = { key: null, headers: { 'payer-token': main.payerToken } };
  const confirmed = await lesson(main, 50);
  must(await t.request('POST', `/payer/lessons/${confirmed}/confirm`, payer), 'confirm');
  const disputed = await lesson(main, 26);
  must(await t.request('POST', `/payer/lessons/${disputed}/dispute`, { ...payer, body: { reason: '孩子那天请假' } }), 'dispute');
  const pending = await lesson(main, 3);
  await lesson(second, 3);
  const refund = must(await t.request('POST', '/payer/refunds', { key: null, headers: { 'payer-token': second.payerToken }, body: { reason: '搬家转学' } }), 'refund');
  must(await t.request('POST', `/refunds/${refund.id}/contest`, { key: instKey, body: { reason: '已上课时有争议' } }), 'contest');

  return {
    district,
    regulatorKey: r1,
    spareRegulatorKey: spare.apiKey,
    spareRegulatorKeyId: spare.id,
    institutionId: inst.id,
    institutionName: inst.name,
    escrowId: escrow.id,
    escrowNumber: escrow.accountNumber,
    contractId: main.id,
    payerToken: main.payerToken,
    pendingLessonId: pending,
    disputedLessonId: disputed,
    revokedPayerToken: revoked.payerToken,
  };
}
