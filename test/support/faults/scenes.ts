import { chinaDate } from '@common/clock';
import { BanksService } from '@modules/banks/banks.service';
import { school } from '../contract-fixtures';
import { invariantViolations } from '../invariants';
import { TestApp } from '../test-app';
import { BankReceiver, executingBank } from './bank-receiver';

/** The money the fault tests move: an institution at bank ICBC-SH whose webhook is `receiver`. */

const addDays = (d: Date, n: number) => new Date(d.getTime() + n * 86_400_000);

/** Contract dates valid today (real time: a spawned service runs on the real clock). */
export function contractDates() {
  const start = addDays(new Date(), -1);
  return { startDate: chinaDate(start), endDate: chinaDate(addDays(start, 60)) };
}

/** An institution with `funded` active contracts and `unfunded` ones awaiting payment, its bank delivering to `receiver`. */
export async function moneyScene(t: TestApp, receiver: BankReceiver, counts: { funded: number; unfunded: number; lessons: number }) {
  const bank = await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC', webhookUrl: receiver.url } });
  receiver.secret = bank.body.secret;
  const s = await school(t);
  await t.request('PATCH', `/institutions/${s.inst.id}`, { key: s.r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: '4567891230001' } });
  const total = `${counts.lessons * 100}.00`;
  const funded = [];
  for (let i = 0; i < counts.funded; i++) funded.push(await s.contract(counts.lessons, total, contractDates()));
  const unfunded = [];
  for (let i = 0; i < counts.unfunded; i++) unfunded.push(await s.contract(counts.lessons, total, contractDates(), false));
  const bankKey = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
  const secret = (await t.app.get(BanksService).deliveryTarget('ICBC-SH'))!.secrets[0];
  return { s, funded, unfunded, bankKey, secret };
}

/** `n` funded contracts with one delivered lesson each (sessions of one course), ready to be confirmed into `n` release instructions. */
export async function lessonsToConfirm(t: TestApp, receiver: BankReceiver, n: number) {
  const bank = await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC', webhookUrl: receiver.url } });
  receiver.secret = bank.body.secret;
  const s = await school(t);
  await t.request('PATCH', `/institutions/${s.inst.id}`, { key: s.r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: '4567891230001' } });
  const contracts = [];
  for (let i = 0; i < n; i++) contracts.push(await s.contract(2, '200.00', contractDates()));
  const session = await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
    key: s.instKey,
    body: { sessionKey: 'fault-1', courseId: s.course.id, startsAt: new Date(Date.now() - 3600_000).toISOString(), endsAt: new Date(Date.now() - 600_000).toISOString(), teacher: 'T', location: 'R', attendees: contracts.map((c) => c.id) },
  });
  if (session.status !== 201) throw new Error(`session refused: ${JSON.stringify(session.body)}`);
  const tokens = new Map(contracts.map((c) => [c.id, c.payerToken]));
  const lessons = session.body.lessons as { id: string; contractId: string }[];
  const confirm = async (some: typeof lessons) => {
    for (const l of some) {
      const res = await t.request('POST', `/payer/lessons/${l.id}/confirm`, { key: null, headers: { 'payer-token': tokens.get(l.contractId)! } });
      if (res.status !== 200) throw new Error(`confirmation refused: ${res.status} ${JSON.stringify(res.body)}`);
    }
  };
  const bankKey = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
  return { lessons, confirm, bank: executingBank(t.baseUrl, bankKey, bank.body.secret) };
}

/** Every instruction executed once at the bank: one effect (new webhook-id) each, all signed, and the ledger agrees. */
export async function expectEachDeliveredOnce(t: TestApp, receiver: BankReceiver, expected: number) {
  const rows = await t.db.query<{ id: string; state: string }>(`SELECT id, state FROM settlement_instructions`);
  expect(rows).toHaveLength(expected);
  expect(rows.filter((r) => r.state !== 'executed')).toEqual([]);
  const effects = receiver.effectsByInstruction();
  expect(rows.filter((r) => effects.get(r.id) !== 1)).toEqual([]);
  expect(effects.size).toBe(expected);
  expect(receiver.deliveries.filter((d) => !d.verified || d.webhookId !== d.instructionId)).toEqual([]);
  expect(await t.db.query(`SELECT 1 FROM ledger_transactions WHERE type = 'settlement'`)).toHaveLength(expected);
  expect(await invariantViolations(t.db.url)).toEqual([]);
}
