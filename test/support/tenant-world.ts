import { Clock } from '@common/clock';
import { AlertsService } from '@modules/alerts/alerts.service';
import { ApiKeysService } from '@modules/api-keys/api-keys.service';
import { ensureBank, institutionBody } from './register-fixtures';
import { eventually, TestApp, TestResponse } from './test-app';
import { signedBy } from './bank-signing';

/**
 * Two tenants with every kind of resource, and a caller for every role, for the tenant matrix
 * (test/integration/tenant-matrix.spec.ts). Tenant A is an institution of Songjiang (310117)
 * whose escrow account is kept by ICBC-SH; tenant B one of Pudong (310115) kept by BOC-SH, so
 * each regulator, institution and bank has a twin on the other side whose data it must not reach.
 */

export type TenantName = 'A' | 'B';
export type RoleName = 'admin' | 'regulatorA' | 'regulatorB' | 'institutionA' | 'institutionB' | 'bankA' | 'bankB' | 'payerA' | 'anonymous';
export const ROLE_NAMES: RoleName[] = ['admin', 'regulatorA', 'regulatorB', 'institutionA', 'institutionB', 'bankA', 'bankB', 'payerA', 'anonymous'];

/** What a role calls with: an API key, or the payer's token, or nothing; a bank also signs its notices. */
export interface Caller {
  name: RoleName;
  role: 'admin' | 'regulator' | 'institution' | 'bank' | 'payer' | 'anonymous';
  /** The tenant whose data is the caller's own (admins and anonymous callers have none). */
  tenant: TenantName | null;
  key: string | null;
  payerToken: string | null;
  bankSecret: string | null;
}

/** Every id of one tenant that an operation may name. */
export interface Tenant {
  name: TenantName;
  district: string;
  bankCode: string;
  institutionId: string;
  uscc: string;
  licenceId: string;
  escrowId: string;
  escrowNumber: string;
  courseId: string;
  contractId: string;
  contractReference: string;
  /** A second contract, for operations that spend something (revoking the payer token). */
  spareContractId: string;
  /** A recorded lesson nobody confirmed yet, and a disputed one (for a regulator's decision). */
  pendingLessonId: string;
  disputedLessonId: string;
  heldAccountId: string;
  fundingTxnId: string;
  instructionId: string;
  /** A bank statement of the tenant's escrow account, delivered by its bank. */
  statementId: string;
  /** An open reconciliation exception of that statement, and an adjustment proposed (by an admin) for another one. */
  exceptionId: string;
  adjustmentId: string;
  /** A refund request waiting for the institution (of the spare contract), and a contested one (of a third contract). */
  refundId: string;
  contestedRefundId: string;
  /** A bank credit that matched no contract (held in suspense), for its resolution. */
  suspenseCreditId: string;
  /** The tenant's closure, opened last (its escrow account is frozen and its contracts refunded from then on). */
  closureId: string;
  /** A transfer of the tenant's main contract proposed in that closure (to the tenant itself: the matrix checks who reaches it, not whether it can happen). */
  transferId: string;
  /** An alert of the tenant's institution (its escrow balance is below the national floor). */
  alertId: string;
  /** An alert subscription of the tenant's regulator. */
  subscriptionId: string;
}

/** A one-day statement in the CSV layout for an escrow account (unique by `ref`): one credit of `amount` on `day` (the 5th by default). */
export function statementCsv(accountNumber: string, ref: string, currency = 'CNY', day = '2026-12-05', amount = '1.00'): string {
  const before = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  return [
    'record_type,statement_id,account,currency,date,amount,direction,value_date,bank_ref,end_to_end_id,details',
    `OPBD,${ref},${accountNumber},${currency},${before},0.00,CRDT,,,,`,
    `NTRY,${ref},${accountNumber},${currency},${day},${amount},CRDT,${day},${ref}-1,,credit`,
    `CLBD,${ref},${accountNumber},${currency},${day},${amount},CRDT,,,,`,
  ].join('\n');
}

export interface World {
  A: Tenant;
  B: Tenant;
  callers: Record<RoleName, Caller>;
  /** Admin-only things that belong to no tenant: a key to revoke, a queue probe. */
  spareKeyId: string;
  probeId: string;
  /** The rules in force in Shanghai, for publishing a policy. */
  policyRules: unknown;
  /** Ids that identify a tenant in an answer; a 2xx answer to another tenant must contain none. */
  secretsOf(t: TenantName): string[];
}

let seq = 0;
const must = (res: TestResponse, what: string, status = [200, 201]) => {
  if (!status.includes(res.status)) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res.body;
};

/** Registers, licenses (joint review), files the escrow account at `bankCode`, signs and funds a contract, records lessons. */
async function buildTenant(t: TestApp, name: TenantName, district: string, bankCode: string) {
  const secret = await ensureBank(t, bankCode);
  const [r1, r2] = [await t.createKey({ role: 'regulator', districts: [district] }), await t.createKey({ role: 'regulator', districts: [district] })];
  const inst = must(await t.request('POST', '/institutions', { key: r1, body: institutionBody(district) }), 'institution');
  const licence = must(await t.request('POST', `/institutions/${inst.id}/licences`, { key: r1 }), 'licence');
  must(await t.request('POST', `/licences/${licence.id}/review`, { key: r1, body: { licenceNumber: `LIC-${inst.uscc}`, validFrom: '2026-06-01', validTo: '2029-05-31' } }), 'review');
  for (const r of [r1, r2]) must(await t.request('POST', `/licences/${licence.id}/approvals`, { key: r, body: {} }), 'approval');
  const escrowBody = { bankCode, accountNumber: `ESC${inst.uscc}`, accountName: `${inst.name}监管专户`, mode: 'full_custody', agreementReference: `AGR-${inst.uscc}` };
  const escrow = must(await t.request('POST', `/institutions/${inst.id}/escrow-accounts`, { key: r1, body: escrowBody }), 'escrow account');
  const instKey = await t.createKey({ role: 'institution', institutionId: inst.id });
  const bankKey = await t.createKey({ role: 'bank', bankCode });
  const courseBody = { name: '数学', category: 'subject', kind: 'lesson_pack', lessonMinutes: 60, classSizeBand: 'large', listPricePerLesson: '100.00' };
  const course = must(await t.request('POST', `/institutions/${inst.id}/courses`, { key: instKey, body: courseBody }), 'course');

  const sign = (payload: string) => signedBy(secret, payload, `world-${name}-${++seq}`);
  const contract = async () => {
    const body = { courseId: course.id, payerName: '家长', payerPhone: '13600000000', studentName: '学生', lessons: 10, totalPrice: '1000.00', startDate: '2026-12-01', endDate: '2027-02-28' };
    const c = must(await t.request('POST', `/institutions/${inst.id}/contracts`, { key: instKey, body }), 'contract');
    const payerAccount = { bank: 'CMB-SH', accountNumber: `62258800${name}${++seq}`, accountName: '家长' };
    const payload = JSON.stringify({ bankTransactionId: `W${name}${++seq}`, escrowAccountNumber: escrow.accountNumber, amount: '1000.00', currency: 'CNY', valueDate: '2026-11-22', payerReference: c.reference, payerAccount });
    must(await t.request('POST', '/bank/credits', { key: bankKey, rawBody: payload, headers: sign(payload) }), 'credit');
    return c as { id: string; reference: string; payerToken: string };
  };
  const main = await contract();
  const spare = await contract();
  const contested = await contract();
  const ask = async (c: { payerToken: string }) =>
    must(await t.request('POST', '/payer/refunds', { key: null, headers: { 'payer-token': c.payerToken }, body: { reason: '转学' } }), 'refund').id as string;
  const unmatched = JSON.stringify({ bankTransactionId: `W${name}${++seq}`, escrowAccountNumber: escrow.accountNumber, amount: '10.00', currency: 'CNY', valueDate: '2026-11-22', payerAccount: { accountNumber: `62258800${name}${++seq}` } });
  const suspenseCreditId = must(await t.request('POST', '/bank/credits', { key: bankKey, rawBody: unmatched, headers: sign(unmatched) }), 'unmatched credit').creditId as string;
  const refundId = await ask(spare);
  const contestedRefundId = await ask(contested);
  must(await t.request('POST', `/refunds/${contestedRefundId}/contest`, { key: instKey, body: { reason: '不同意' } }), 'contest');
  return { r1, instKey, bankKey, secret, inst, licence, escrow, course, main, spare, refundId, contestedRefundId, suspenseCreditId };
}

/** The clock stays on 2026-12-06 (China time) afterwards: contracts started, lessons recorded. */
export async function buildWorld(t: TestApp): Promise<World> {
  const clock = t.app.get(Clock);
  clock.travelTo(new Date('2026-11-22T04:00:00Z'));
  const a = await buildTenant(t, 'A', '310117', 'ICBC-SH');
  const b = await buildTenant(t, 'B', '310115', 'BOC-SH');
  clock.travelTo(new Date('2026-12-06T04:00:00Z'));

  const finish = async (name: TenantName, x: typeof a): Promise<Tenant> => {
    const lesson = async () => {
      const body = { sessionKey: `world-${++seq}`, courseId: x.course.id, startsAt: '2026-12-05T01:00:00Z', endsAt: '2026-12-05T02:00:00Z', teacher: '刘老师', location: '3号教室', attendees: [x.main.id] };
      return must(await t.request('POST', `/institutions/${x.inst.id}/lesson-sessions`, { key: x.instKey, body }), 'lesson').lessons[0].id as string;
    };
    const payer = { key: null, headers: { 'payer-token': x.main.payerToken } };
    const released = await lesson();
    must(await t.request('POST', `/payer/lessons/${released}/confirm`, payer), 'confirm');
    const disputed = await lesson();
    must(await t.request('POST', `/payer/lessons/${disputed}/dispute`, { ...payer, body: { reason: '孩子那天请假' } }), 'dispute');
    const pending = await lesson();
    const [held] = await t.db.query<{ id: string }>(`SELECT id::text FROM ledger_accounts WHERE contract_id = $1`, [x.main.id]);
    const [txn] = await t.db.query<{ id: string }>(`SELECT transaction_id::text AS id FROM ledger_postings WHERE account_id = $1 ORDER BY id LIMIT 1`, [held.id]);
    const [instruction] = await t.db.query<{ id: string }>(`SELECT s.id FROM settlement_instructions s JOIN lessons l ON l.release_txn_id = s.ledger_txn_id WHERE l.id = $1`, [released]);
    if (!held || !txn || !instruction) throw new Error(`tenant ${name}: no ledger account, transaction or instruction`);
    // Another day and amount than the matrix's own statements and credits (2026-12-05, 1.00): they neither supersede it nor match its line.
    const csv = statementCsv(x.escrow.accountNumber, `WORLD-${name}`, 'CNY', '2026-12-04', '7.00');
    const statement = must(await t.request('POST', '/bank/statements', { key: x.bankKey, rawBody: csv, headers: { 'content-type': 'text/csv', ...signedBy(x.secret, csv) } }), 'statement');
    const statementId = statement.statements[0].id as string;
    const { exceptionId, adjustmentId } = await reconciled(t, statementId);
    return {
      name,
      district: x.inst.districtCode,
      bankCode: x.escrow.bankCode,
      institutionId: x.inst.id,
      uscc: x.inst.uscc,
      licenceId: x.licence.id,
      escrowId: x.escrow.id,
      escrowNumber: x.escrow.accountNumber,
      courseId: x.course.id,
      contractId: x.main.id,
      contractReference: x.main.reference,
      spareContractId: x.spare.id,
      pendingLessonId: pending,
      disputedLessonId: disputed,
      heldAccountId: held.id,
      fundingTxnId: txn.id,
      instructionId: instruction.id,
      statementId,
      exceptionId,
      adjustmentId,
      refundId: x.refundId,
      contestedRefundId: x.contestedRefundId,
      suspenseCreditId: x.suspenseCreditId,
      closureId: '',
      transferId: '',
      alertId: '',
      subscriptionId: '',
    };
  };
  const A = await finish('A', a);
  const B = await finish('B', b);
  // Last, so that everything above was built on an operating institution.
  for (const [x, r] of [[A, a.r1], [B, b.r1]] as const) {
    x.closureId = must(await t.request('POST', `/institutions/${x.institutionId}/closures`, { key: r, body: { kind: 'immediate', reason: '矩阵停办' } }), 'closure').id as string;
    // Written directly: no other institution of the district is eligible to receive in this world, and only the scope is under test.
    const [transfer] = await t.db.query<{ id: string }>(
      `INSERT INTO closure_transfers (closure_id, contract_id, receiving_institution_id, state, reason, proposed_by) VALUES ($1, $2, $3, 'proposed', 'tenant matrix', 'matrix') RETURNING id`,
      [x.closureId, x.contractId, x.institutionId],
    );
    x.transferId = transfer.id;
  }

  await t.app.get(AlertsService).evaluate();
  for (const x of [A, B]) {
    x.alertId = (await t.db.query<{ id: string }>(`SELECT id FROM alerts WHERE institution_id = $1 ORDER BY opened_at, id LIMIT 1`, [x.institutionId]))[0].id;
  }
  for (const [x, r] of [[A, a.r1], [B, b.r1]] as const) {
    x.subscriptionId = must(await t.request('POST', '/alert-subscriptions', { key: r, body: { url: 'http://127.0.0.1:9/alerts' } }), 'subscription').id as string;
  }

  const keys = t.app.get(ApiKeysService);
  const spareKeyId = (await keys.create({ name: 'spare key for the matrix', role: 'admin' })).key.id;
  const probeId = must(await t.request('POST', '/admin/diagnostics/queue-probes', { body: {} }), 'probe', [200, 201, 202]).id as string;

  const caller = (name: RoleName, role: Caller['role'], tenant: TenantName | null, key: string | null, extra: Partial<Caller> = {}): Caller => ({ name, role, tenant, key, payerToken: null, bankSecret: null, ...extra });
  const callers: Record<RoleName, Caller> = {
    admin: caller('admin', 'admin', null, t.adminKey),
    regulatorA: caller('regulatorA', 'regulator', 'A', a.r1),
    regulatorB: caller('regulatorB', 'regulator', 'B', b.r1),
    institutionA: caller('institutionA', 'institution', 'A', a.instKey),
    institutionB: caller('institutionB', 'institution', 'B', b.instKey),
    bankA: caller('bankA', 'bank', 'A', a.bankKey, { bankSecret: a.secret }),
    bankB: caller('bankB', 'bank', 'B', b.bankKey, { bankSecret: b.secret }),
    payerA: caller('payerA', 'payer', 'A', null, { payerToken: a.main.payerToken }),
    anonymous: caller('anonymous', 'anonymous', null, null),
  };
  const secretsOf = (n: TenantName) => {
    const x = n === 'A' ? A : B;
    return [x.institutionId, x.uscc, x.licenceId, x.escrowId, x.escrowNumber, x.courseId, x.contractId, x.contractReference, x.spareContractId, x.pendingLessonId, x.disputedLessonId, x.instructionId, x.exceptionId, x.adjustmentId, x.refundId, x.contestedRefundId, x.suspenseCreditId, x.closureId, x.transferId, x.alertId, x.subscriptionId];
  };
  const policyRules = must(await t.request('GET', '/policies/resolve?district=310117'), 'policy').rules;
  return { A, B, callers, spareKeyId, probeId, policyRules, secretsOf };
}

/**
 * Waits for the statement's reconciliation (a queued job), then takes two open exceptions of the account:
 * an admin proposes an adjustment of one with money in it (a regulator of the tenant may approve
 * it), the other is left for a resolution.
 */
async function reconciled(t: TestApp, statementId: string): Promise<{ exceptionId: string; adjustmentId: string }> {
  await eventually(async () => (await t.request('GET', `/reconciliation/runs/${statementId}`)).status === 200, 30_000);
  const open = await t.db.query<{ id: string; type: string; moves: boolean }>(
    `SELECT id, type, effect <> 0 AS moves FROM reconciliation_exceptions
      WHERE escrow_account_id = (SELECT escrow_account_id FROM bank_statements WHERE id = $1) AND state = 'open' ORDER BY (type = 'MISSING_IN_LEDGER') DESC, id`,
    [statementId],
  );
  const adjusted = open.find((e) => e.moves);
  const other = open.find((e) => e !== adjusted) ?? adjusted;
  if (!adjusted || !other) throw new Error(`statement ${statementId}: no open reconciliation exception with money in it (${JSON.stringify(open)})`);
  const proposal = must(await t.request('POST', `/reconciliation/exceptions/${adjusted.id}/resolutions`, { body: { action: 'adjustment', reason: 'tenant world' } }), 'adjustment');
  return { exceptionId: other.id, adjustmentId: proposal.adjustment.id as string };
}

export { signedBy } from './bank-signing';
