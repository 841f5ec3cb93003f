import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { startBankSimulator } from './bank-simulator';
import { chinaDay } from './bank-simulator/statement-book';
import { DemoAccount, report, sendStatements, waitForReconciliation } from './demo/statements-step';
import { table } from './demo/table';

/**
 * npm run demo -- --admin-key <key>: the whole story against a running service. A regulator
 * and policy, five institutions licensed with escrow accounts, 200 contracts funded by the
 * (simulated) bank, a week of class sessions, confirmations and one dispute, releases, webhooks
 * delivered and executed by the simulator, the regulator's escrow audit of the district, and last
 * the day's bank statements (camt.053 and MT940, with faults injected on purpose) reconciled
 * against the ledger: the reconciliation must find exactly the injected faults.
 */
const SCHOOLS = ['松江星光美术培训', '松江启航编程培训', '松江乐成音乐培训', '松江飞跃体育培训', '松江墨香书法培训'];
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const DISTRICT = '310117';

function uscc(): string {
  let body = `91${DISTRICT}`; // registration type, then the 6-digit division code
  for (let i = 0; i < 9; i++) body += ALPHABET[randomBytes(1)[0] % 31];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(body[i]) * WEIGHTS[i];
  return body + ALPHABET[(31 - (sum % 31)) % 31];
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

class Progress {
  constructor(private readonly total: number) {}
  private done = 0;
  step(label: string, n = 1) {
    this.done = Math.min(this.total, this.done + n);
    const width = 30;
    const filled = Math.round((this.done / this.total) * width);
    process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round((this.done / this.total) * 100)).padStart(3)}%  ${label.padEnd(52).slice(0, 52)}`);
  }
  end() {
    process.stdout.write('\n');
  }
}

async function main() {
  const { values } = parseArgs({
    options: { service: { type: 'string', default: 'http://127.0.0.1:3000' }, 'admin-key': { type: 'string' }, contracts: { type: 'string', default: '200' }, 'failure-rate': { type: 'string', default: '0.02' } },
  });
  const base = values.service!;
  const admin = values['admin-key'];
  if (!admin) {
    process.stderr.write('Usage: npm run demo -- --admin-key <the admin key printed by npm start> [--service http://127.0.0.1:3000]\n');
    process.exit(2);
  }
  const call = async (method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text;
  };
  const N = Number(values.contracts);
  const p = new Progress(20 + N * 2 + 5 * N + 20 + 20 + 5);

  p.step('regulators of Songjiang (310117)');
  const r1 = (await call('POST', '/admin/api-keys', admin, { name: 'demo regulator A', role: 'regulator', districts: [DISTRICT] })).apiKey;
  const r2 = (await call('POST', '/admin/api-keys', admin, { name: 'demo regulator B', role: 'regulator', districts: [DISTRICT] })).apiKey;
  const policy = await call('GET', `/policies/resolve?district=${DISTRICT}`, r1);
  p.step(`policy in force: ${policy.code} v${policy.version} (${policy.rules.releaseCadence.kind})`);

  const bankCode = `DEMO${randomBytes(2).toString('hex').toUpperCase()}`;
  const simPort = await freePort();
  const bank = await call('POST', '/admin/banks', admin, { code: bankCode, name: '演示托管银行', webhookUrl: `http://127.0.0.1:${simPort}/webhooks` });
  const bankKey = (await call('POST', '/admin/api-keys', admin, { name: 'demo bank', role: 'bank', bankCode })).apiKey;
  const sim = await startBankSimulator({ port: simPort, serviceUrl: base, bankApiKey: bankKey, secret: bank.secret, bankCode, failureRate: Number(values['failure-rate']), callbackDelayMs: 50 });
  p.step(`bank ${bankCode} and its simulator on :${simPort}`);

  const schools: { id: string; key: string; course: string; escrow: string; escrowId: string; name: string }[] = [];
  for (const name of SCHOOLS) {
    const inst = await call('POST', '/institutions', r1, { name, uscc: uscc(), districtCode: DISTRICT, category: 'non_subject', profitType: 'for_profit', address: '上海市松江区', legalRepresentative: '法人', contactName: '联系人', contactPhone: '13800000000' });
    const lic = await call('POST', `/institutions/${inst.id}/licences`, r1);
    await call('POST', `/licences/${lic.id}/review`, r1, { licenceNumber: `DEMO-${inst.uscc}`, validFrom: day(-200), validTo: day(900) });
    await call('POST', `/licences/${lic.id}/approvals`, r1, {});
    await call('POST', `/licences/${lic.id}/approvals`, r2, {});
    const escrow = await call('POST', `/institutions/${inst.id}/escrow-accounts`, r1, { bankCode, accountNumber: `ESC${inst.uscc}`, accountName: `${name}监管专户`, mode: 'full_custody', agreementReference: `AGR-${inst.uscc}` });
    await call('PATCH', `/institutions/${inst.id}`, r1, { basicAccountBank: 'BOC-SH', basicAccountNumber: `62${inst.uscc.slice(-10)}` });
    const key = (await call('POST', '/admin/api-keys', admin, { name: `${name} desk`, role: 'institution', institutionId: inst.id })).apiKey;
    const course = await call('POST', `/institutions/${inst.id}/courses`, key, { name: '周末班', category: 'non_subject', kind: 'lesson_pack', lessonMinutes: 90, classSizeBand: 'medium', listPricePerLesson: '150.00' });
    schools.push({ id: inst.id, key, course: course.id, escrow: escrow.accountNumber, escrowId: escrow.id, name });
    p.step(`${name}: licensed (joint review), escrow filed`, 4);
  }

  const contracts: { id: string; school: number; token: string; lessons: number }[] = [];
  for (let i = 0; i < N; i++) {
    const s = schools[i % schools.length];
    const total = `${900 + (i % 7) * 33}.${String(i % 100).padStart(2, '0')}`;
    const c = await call('POST', `/institutions/${s.id}/contracts`, s.key, { courseId: s.course, payerName: `家长${i}`, payerPhone: '13600000000', studentName: `学生${i}`, lessons: 10, startDate: day(-14), endDate: day(45), totalPrice: total });
    contracts.push({ id: c.id, school: i % schools.length, token: c.payerToken, lessons: 0 });
    p.step(`contract ${i + 1}/${N} signed`);
    const paid = await fetch(`${sim.url}/simulate/credits`, { method: 'POST', body: JSON.stringify({ escrowAccountNumber: s.escrow, amount: total, payerReference: c.reference, payerAccount: { bank: 'BOC-SH', accountNumber: `6217${String(i).padStart(12, '0')}`, accountName: `家长${i}` } }) });
    if (paid.status !== 201) throw new Error(`credit refused: ${await paid.text()}`);
    p.step(`contract ${i + 1}/${N} paid in by the bank`);
  }

  const lessons: { id: string; token: string }[] = [];
  for (let d = 0; d < 5; d++) {
    for (const [k, s] of schools.entries()) {
      const mine = contracts.filter((c) => c.school === k);
      for (let j = 0; j < mine.length; j += 30) {
        const group = mine.slice(j, j + 30);
        const startsAt = `${day(-9 + d)}T02:00:00Z`;
        const res = await call('POST', `/institutions/${s.id}/lesson-sessions`, s.key, { sessionKey: `demo-${d}-${k}-${j}-${randomBytes(3).toString('hex')}`, courseId: s.course, startsAt, endsAt: `${day(-9 + d)}T03:30:00Z`, teacher: '老师', location: '教室', attendees: group.map((c) => c.id) });
        res.lessons.forEach((l: { id: string }, idx: number) => lessons.push({ id: l.id, token: group[idx].token }));
        p.step(`day ${d + 1}: ${s.name} session of ${group.length}`, group.length);
      }
    }
  }

  const disputed = lessons[0];
  await call('POST', `/payer/lessons/${disputed.id}/dispute`, '', { reason: '孩子那天请假了' }, { 'payer-token': disputed.token });
  for (const l of lessons.slice(1)) {
    await call('POST', `/payer/lessons/${l.id}/confirm`, '', undefined, { 'payer-token': l.token });
  }
  p.step(`${lessons.length - 1} lessons confirmed and released, 1 disputed`, 10);

  const expected = lessons.length - 1;
  const deadline = Date.now() + 120_000;
  while (sim.stats.executed + sim.stats.failed < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 500));
  p.step(`bank executed ${sim.stats.executed}, failed ${sim.stats.failed} (duplicates dropped: ${sim.stats.duplicates})`, 10);

  // Refunds: after five lessons (the institution approves), and before the start (nobody answers: deemed approved).
  const after = contracts[1];
  const afterAsked = await call('POST', '/payer/refunds', '', { reason: '孩子转学' }, { 'payer-token': after.token });
  await call('POST', `/refunds/${afterAsked.id}/approve`, schools[after.school].key);
  const s0 = schools[0];
  const total = '900.00';
  const early = await call('POST', `/institutions/${s0.id}/contracts`, s0.key, { courseId: s0.course, payerName: '家长E', payerPhone: '13600000000', studentName: '学生E', lessons: 10, startDate: day(10), endDate: day(60), totalPrice: total });
  const paidEarly = await fetch(`${sim.url}/simulate/credits`, { method: 'POST', body: JSON.stringify({ escrowAccountNumber: s0.escrow, amount: total, payerReference: early.reference, payerAccount: { bank: 'CMB-SH', accountNumber: '6225880000000099', accountName: '家长E' } }) });
  if (paidEarly.status !== 201) throw new Error(`credit refused: ${await paidEarly.text()}`);
  const earlyAsked = await call('POST', '/payer/refunds', '', { reason: '课程还没开始，不想上了' }, { 'payer-token': early.payerToken });
  await call('POST', '/admin/refunds/deadlines-run', admin, { today: day(20) });
  const settled = sim.stats.executed + sim.stats.failed;
  while (sim.stats.executed + sim.stats.failed < settled + 2 && Date.now() < deadline + 30_000) {
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 500));
  const refundLines = [];
  for (const asked of [afterAsked, earlyAsked]) {
    const r = await call('GET', `/refunds/${asked.id}`, r1);
    const c = r.computation;
    refundLines.push(
      `refund ${c.phase === 'before_start' ? 'before the start' : `after ${c.lessonsConsumed} of ${c.lessons} lessons`}: paid in ${c.paidIn}, ` +
        `consumed ${c.consumedAmount}, refund ${r.amount} (${r.approval === 'deemed' ? 'deemed approved' : `approved by the ${r.approval}`}, due by ${r.payBy}) → ${r.state}`,
    );
  }
  p.step('2 refunds: one approved, one deemed approved; sent to the bank', 5);

  // The day's statements: the business day is the China-time day of the executions.
  const statementDay = chinaDay(new Date());
  const accounts: DemoAccount[] = schools.map((s) => ({ name: s.name, institutionId: s.id, escrowId: s.escrowId, accountNumber: s.escrow }));
  const { planned, files } = await sendStatements(sim, accounts, statementDay);
  p.step(`statements of ${statementDay} sent (${files.length} files), faults injected`, 10);
  const summary = await waitForReconciliation(call, r1, DISTRICT, statementDay, planned);
  p.step('statements reconciled by the queued jobs', 10);
  p.end();

  const audit = await call('GET', `/audit/districts/${DISTRICT}`, r1);
  const cols = ['institution', 'escrow', 'obligations', 'paid in', 'released', 'refunded', 'bank cash', 'coverage', 'last reconciled'];
  const rows = audit.institutions.map((i: Record<string, string> & { escrowAccount: { state: string } | null }) => [
    i.name,
    i.escrowAccount?.state ?? '-',
    i.obligations,
    i.paidIn,
    i.released,
    i.refunded,
    i.bankCash,
    i.coverage ?? '-',
    i.lastReconciledDay ?? '-',
  ]);
  // One TOTAL line per currency: amounts of different currencies are never added.
  for (const t of audit.totals) {
    rows.push([`TOTAL ${t.currency} (${t.institutions} institutions)`, '', t.obligations, t.paidIn, t.released, t.refunded, t.bankCash, t.coverage ?? '-', '']);
  }
  process.stdout.write(`\nEscrow audit of district ${DISTRICT} (${audit.generatedAt}):\n`);
  for (const l of table(cols, rows, { footer: audit.totals.length })) process.stdout.write(`${l}\n`);
  process.stdout.write(
    `\n${N} contracts, ${lessons.length} lessons (1 disputed, held back), ${sim.stats.executed} settlements executed by the bank, ${sim.stats.failed} failed (exceptions raised for the regulator).\n`,
  );
  process.stdout.write(`${refundLines.join('\n')}\n`);
  // The same data in the browser: the console with this regulator's key, and one parent's page.
  process.stdout.write(`\nIn the browser: ${base}/console (regulator key ${r1}, district ${DISTRICT}); a parent's page: ${base}/p/${contracts[contracts.length - 1].token}\n`);
  const exact = await report(call, r1, DISTRICT, statementDay, planned, summary);
  await sim.close();
  if (!exact) process.exitCode = 1;
}

main().catch((err: Error) => {
  process.stderr.write(`\ndemo failed: ${err.message}\n`);
  process.exit(1);
});
