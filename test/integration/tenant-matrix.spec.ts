import { ensureBank, institutionBody } from '../support/register-fixtures';
import { buildWorld, Caller, ROLE_NAMES, signedBy, statementCsv, Tenant, TenantName, World } from '../support/tenant-world';
import { startTestApp, TestApp, TestResponse } from '../support/test-app';

/**
 * The tenant matrix (issue 12, item 4): every operation of /openapi.json × every role, sent
 * against the other tenant's resources first (nothing may be reached: 401, 403 or 404, never a
 * 2xx, never a 5xx), then against the caller's own (it must get past the scope check). The
 * operations come from the OpenAPI document, so a new endpoint is in the matrix by itself and
 * fails it until RULES says which role owns what it names. TENANT_MATRIX_VERBOSE=1 prints every cell.
 */

/**
 * Who may reach what an operation names, once the role check of `@Roles` has passed:
 * - `admin`: admins only; `public`: anyone (health, metrics); `payer`: the contract's payer token;
 * - `token`: the payer token alone names the contract (nothing in the path): any payer reaches its own, nobody else anything;
 * - `list`: a listing filtered by scope (answers 2xx to everyone allowed; must not show another tenant's ids);
 * - `shared`: not tenant data (published policies: any role allowed reads any district's);
 * - `institution`: the institution itself (reading or acting for itself), its district's regulators;
 * - `supervise`: the district's regulators (an institution acting on its own register entry is 403);
 * - `district`: a whole code: its regulators; `ledger`: a ledger account: district rule, or the bank keeping it;
 * - `bank`: a bank notice naming an escrow account or movement: the bank keeping it.
 */
type Reach = 'admin' | 'public' | 'payer' | 'token' | 'list' | 'shared' | 'institution' | 'supervise' | 'district' | 'ledger' | 'bank';
type Outcome = 'allowed' | 401 | 403 | 404;
interface Call { params?: Record<string, string>; query?: Record<string, string>; body?: unknown; /** a body that is not JSON (a bank statement file) */ raw?: { body: string; contentType: string } }
interface Rule { reach: Reach; call?: (x: Tenant, w: World) => Call; /** an admin-only call on a made-up id may be 404 */ missingOk?: boolean }

let n = 0;
const reason = { reason: 'tenant matrix' };
const spareBank = 'MATRIX-BK';
const inst = (reach: Reach, body?: (x: Tenant) => unknown): Rule => ({ reach, call: (x) => ({ params: { id: x.institutionId }, body: body?.(x) }) });
const licence = (reach: Reach, body?: unknown): Rule => ({ reach, call: (x) => ({ params: { id: x.licenceId }, body }) });
const escrow = (reach: Reach, body?: unknown): Rule => ({ reach, call: (x) => ({ params: { id: x.escrowId }, body }) });
const contract = (reach: Reach): Rule => ({ reach, call: (x) => ({ params: { id: x.contractId, contractId: x.contractId } }) });
const bankNotice = (body: (x: Tenant) => unknown): Rule => ({ reach: 'bank', call: (x) => ({ body: body(x) }) });

/** One line per operation of the OpenAPI document: a new endpoint fails the matrix until it is here. */
export const RULES: Record<string, Rule> = {
  'GET /health/live': { reach: 'public' },
  'GET /health/ready': { reach: 'public' },
  'GET /metrics': { reach: 'public' },
  'POST /admin/api-keys': { reach: 'admin', call: () => ({ body: { name: 'matrix', role: 'regulator', districts: ['310117'] } }) },
  'GET /admin/api-keys': { reach: 'admin' },
  'POST /admin/api-keys/{id}/revoke': { reach: 'admin', call: (_, w) => ({ params: { id: w.spareKeyId } }) },
  'POST /admin/diagnostics/queue-probes': { reach: 'admin', call: () => ({ body: {} }) },
  'GET /admin/diagnostics/queue-probes/{id}': { reach: 'admin', call: (_, w) => ({ params: { id: w.probeId } }) },
  'GET /admin/queues/summary': { reach: 'admin' },
  'POST /admin/queues/{queue}/jobs/{id}/retry': { reach: 'admin', call: () => ({ params: { queue: 'settlement-delivery', id: 'no-such-job' } }), missingOk: true },
  'POST /admin/supervision/daily-run': { reach: 'admin', call: () => ({ body: {} }) },
  'POST /admin/lessons/deemed-confirmation-run': { reach: 'admin', call: () => ({ body: {} }) },
  'PUT /admin/calendar/{day}': { reach: 'admin', call: () => ({ params: { day: '2027-03-01' }, body: { isWorkday: true, reason: 'tenant matrix' } }) },
  'POST /admin/banks': { reach: 'admin', call: () => ({ body: { code: `MX-${++n}`, name: 'matrix bank' } }) },
  'GET /admin/banks': { reach: 'admin' },
  'GET /admin/banks/{code}': { reach: 'admin', call: () => ({ params: { code: spareBank } }) },
  'PATCH /admin/banks/{code}': { reach: 'admin', call: () => ({ params: { code: spareBank }, body: { name: 'matrix bank' } }) },
  'POST /admin/banks/{code}/secrets': { reach: 'admin', call: () => ({ params: { code: spareBank } }) },
  'POST /admin/banks/{code}/secrets/retire-oldest': { reach: 'admin', call: () => ({ params: { code: spareBank } }) },
  'POST /admin/banks/{code}/enable': { reach: 'admin', call: () => ({ params: { code: spareBank } }) },
  'GET /admin/settlement-instructions': { reach: 'admin' },
  'GET /admin/ledger/verify': { reach: 'admin' },
  'GET /admin/settlement-instructions/{id}': { reach: 'admin', call: (x) => ({ params: { id: x.instructionId } }) },
  'POST /admin/settlement-instructions/{id}/redeliver': { reach: 'admin', call: (x) => ({ params: { id: x.instructionId } }) },
  'POST /ledger/transactions/{id}/reversal': { reach: 'admin', call: (x) => ({ params: { id: x.fundingTxnId }, body: reason }) },

  'POST /institutions': { reach: 'district', call: (x) => ({ body: institutionBody(x.district) }) },
  'GET /institutions': { reach: 'list' },
  'GET /institutions/{id}': inst('institution'),
  'PATCH /institutions/{id}': inst('supervise', () => ({ contactName: '王五' })),
  'POST /institutions/{id}/closing': inst('supervise', () => ({ ...reason, plannedClosureDate: '2027-01-31' })),
  'GET /institutions/{id}/history': inst('institution'),
  'POST /institutions/{id}/licences': inst('institution'),
  'GET /institutions/{id}/licences': inst('institution'),
  'GET /licences/{id}': licence('institution'),
  'POST /licences/{id}/review': licence('supervise', { licenceNumber: 'LIC-MATRIX', validFrom: '2026-06-01', validTo: '2029-05-31' }),
  'POST /licences/{id}/approvals': licence('supervise', {}),
  'POST /licences/{id}/reject': licence('supervise', reason),
  'POST /licences/{id}/suspend': licence('supervise', reason),
  'POST /licences/{id}/reinstate': licence('supervise', reason),
  'POST /licences/{id}/revoke': licence('supervise', reason),
  'POST /licences/{id}/renew': licence('institution'),
  'PUT /districts/{code}/review-settings': { reach: 'district', call: (x) => ({ params: { code: x.district }, body: { requiredApprovals: 2 } }) },
  'POST /institutions/{id}/inspections': inst('supervise', () => ({ year: 2026, result: 'pass', findings: '无', fundSupervisionFindings: '无', inspector: '赵', inspectedOn: '2026-11-30' })),
  'GET /institutions/{id}/inspections': inst('institution'),
  'POST /institutions/{id}/escrow-accounts': inst('supervise', (x) => ({ bankCode: x.bankCode, accountNumber: `MXACC${++n}${x.name}`, accountName: '监管专户', mode: 'full_custody', agreementReference: 'AGR-MX' })),
  'GET /institutions/{id}/escrow-accounts': inst('institution'),
  'GET /escrow-accounts/{id}': escrow('institution'),
  'POST /escrow-accounts/{id}/freeze': escrow('supervise', reason),
  'POST /escrow-accounts/{id}/unfreeze': escrow('supervise', reason),
  'POST /escrow-accounts/{id}/close': escrow('supervise', reason),
  'GET /institutions/{id}/eligibility': inst('institution'),
  'GET /supervision-events': { reach: 'list', call: (x) => ({ query: { institutionId: x.institutionId } }) },
  'GET /ledger/accounts/{id}': { reach: 'ledger', call: (x) => ({ params: { id: x.heldAccountId } }) },
  'GET /ledger/accounts/{id}/postings': { reach: 'ledger', call: (x) => ({ params: { id: x.heldAccountId } }) },
  'GET /ledger/transactions/{id}': { reach: 'ledger', call: (x) => ({ params: { id: x.fundingTxnId } }) },
  'GET /ledger/contracts/{contractId}/balance': contract('institution'),
  'GET /ledger/institutions/{id}/balance': inst('institution'),
  'POST /policies': { reach: 'district', call: (x, w) => ({ body: { code: x.district, effectiveFrom: '2027-01-01', rules: w.policyRules } }) },
  'GET /policies/resolve': { reach: 'shared', call: (x) => ({ query: { district: x.district } }) },
  'GET /policies/{code}/versions': { reach: 'shared', call: (x) => ({ params: { code: x.district } }) },
  'POST /institutions/{id}/courses': inst('institution', () => ({ name: '矩阵', category: 'subject', kind: 'lesson_pack', lessonMinutes: 60, classSizeBand: 'large', listPricePerLesson: '100.00' })),
  'GET /institutions/{id}/courses': inst('institution'),
  'POST /institutions/{id}/contracts': inst('institution', (x) => ({ courseId: x.courseId, payerName: '家长', payerPhone: '13600000000', studentName: '学生', lessons: 10, totalPrice: '1000.00', startDate: '2026-12-10', endDate: '2027-02-28' })),
  'GET /institutions/{id}/contracts': inst('institution'),
  'GET /contracts/{id}': contract('institution'),
  'POST /contracts/{id}/payer-token/revoke': { reach: 'institution', call: (x) => ({ params: { id: x.spareContractId } }) },
  'GET /contracts/{id}/lessons': contract('institution'),
  'GET /audit/districts/{code}': { reach: 'district', call: (x) => ({ params: { code: x.district } }) },
  'GET /audit/districts/{code}/daily-flows': { reach: 'district', call: (x) => ({ params: { code: x.district } }) },
  'GET /audit/institutions/{id}': inst('institution'),
  'POST /institutions/{id}/lesson-sessions': inst('institution', (x) => ({ sessionKey: `mx-${++n}`, courseId: x.courseId, startsAt: '2026-12-05T03:00:00Z', endsAt: '2026-12-05T04:00:00Z', teacher: '刘', location: '1', attendees: [x.contractId] })),
  'POST /lessons/{id}/withdraw': { reach: 'institution', call: (x) => ({ params: { id: x.pendingLessonId }, body: reason }) },
  'POST /lessons/{id}/decision': { reach: 'supervise', call: (x) => ({ params: { id: x.disputedLessonId }, body: { decision: 'confirm', ...reason } }) },
  'POST /payer/lessons/{id}/confirm': { reach: 'payer', call: (x) => ({ params: { id: x.pendingLessonId } }) },
  'POST /payer/lessons/{id}/dispute': { reach: 'payer', call: (x) => ({ params: { id: x.pendingLessonId }, body: reason }) },
  'POST /payer/refunds': { reach: 'token', call: () => ({ body: reason }) },
  'GET /payer/refunds': { reach: 'token' },
  'GET /contracts/{id}/schedule': contract('institution'),
  'GET /payer/schedule': { reach: 'token' },
  'POST /payer/schedule/objections': { reach: 'token', call: () => ({ body: { seq: 1, ...reason } }) },
  'POST /contracts/{id}/schedule/periods/{seq}/decision': { reach: 'supervise', call: (x) => ({ params: { id: x.contractId, seq: '1' }, body: { decision: 'release', ...reason } }) },
  'POST /contracts/{id}/schedule/pauses': { reach: 'institution', call: (x) => ({ params: { id: x.contractId }, body: { from: '2027-03-01', days: 7, ...reason } }) },
  'POST /payer/schedule/pauses/agree': { reach: 'token' },
  'POST /admin/deductions/run': { reach: 'admin', call: () => ({ body: {} }) },
  'POST /payer/instalments/stop': { reach: 'token', call: () => ({ body: reason }) },
  'POST /admin/instalments/run': { reach: 'admin', call: () => ({ body: {} }) },
  'GET /payer/contract': { reach: 'token' },
  'GET /refunds/{id}': { reach: 'institution', call: (x) => ({ params: { id: x.refundId } }) },
  'GET /institutions/{id}/refunds': inst('institution'),
  'POST /refunds/{id}/approve': { reach: 'institution', call: (x) => ({ params: { id: x.refundId } }) },
  'POST /refunds/{id}/contest': { reach: 'institution', call: (x) => ({ params: { id: x.refundId }, body: reason }) },
  'POST /refunds/{id}/decision': { reach: 'supervise', call: (x) => ({ params: { id: x.contestedRefundId }, body: { decision: 'partial', amount: '100.00', ...reason } }) },
  'POST /admin/refunds/deadlines-run': { reach: 'admin', call: () => ({ body: {} }) },
  'GET /institutions/{id}/suspense': inst('institution'),
  'POST /institutions/{id}/closures': inst('supervise', () => ({ kind: 'immediate', ...reason })),
  'GET /closures/{id}': { reach: 'institution', call: (x) => ({ params: { id: x.closureId } }) },
  'GET /closures/{id}/report': { reach: 'institution', call: (x) => ({ params: { id: x.closureId } }) },
  'POST /closures/{id}/complete': { reach: 'supervise', call: (x) => ({ params: { id: x.closureId } }) },
  'POST /admin/closures/planned-run': { reach: 'admin', call: () => ({ body: {} }) },
  'POST /closures/{id}/transfers': { reach: 'supervise', call: (x) => ({ params: { id: x.closureId }, body: { contractId: x.spareContractId, receivingInstitutionId: x.institutionId, ...reason } }) },
  'GET /transfers/{id}': { reach: 'institution', call: (x) => ({ params: { id: x.transferId } }) },
  'POST /transfers/{id}/accept': { reach: 'institution', call: (x) => ({ params: { id: x.transferId }, body: { courseId: x.courseId } }) },
  'POST /payer/transfers/{id}/consent': { reach: 'payer', call: (x) => ({ params: { id: x.transferId } }) },
  'POST /transfers/{id}/withdraw': { reach: 'supervise', call: (x) => ({ params: { id: x.transferId }, body: reason }) },
  'POST /suspense/{creditId}/resolve': { reach: 'supervise', call: (x) => ({ params: { creditId: x.suspenseCreditId }, body: { action: 'return', ...reason } }) },
  'POST /admin/suspense/aging-run': { reach: 'admin', call: () => ({ body: {} }) },
  'POST /settlement-instructions/{id}/reinstruct': { reach: 'supervise', call: (x) => ({ params: { id: x.instructionId }, body: reason }) },
  'POST /bank/credits': bankNotice((x) => ({ bankTransactionId: `MX-${++n}`, escrowAccountNumber: x.escrowNumber, amount: '1.00', currency: 'CNY', valueDate: '2026-12-05' })),
  'POST /bank/statements': { reach: 'bank', call: (x) => ({ raw: { body: statementCsv(x.escrowNumber, `MX-${++n}`), contentType: 'text/csv' } }) },
  'GET /bank/statements/{id}': { reach: 'ledger', call: (x) => ({ params: { id: x.statementId } }) },
  'GET /reconciliation/districts/{code}': { reach: 'district', call: (x) => ({ params: { code: x.district }, query: { date: '2026-12-05' } }) },
  'GET /reconciliation/exceptions': { reach: 'list' },
  'GET /alerts': { reach: 'list' },
  'GET /action-log': { reach: 'list' },
  'POST /alerts/{id}/acknowledge': { reach: 'supervise', call: (x) => ({ params: { id: x.alertId }, body: reason }) },
  'POST /alerts/{id}/resolve': { reach: 'supervise', call: (x) => ({ params: { id: x.alertId }, body: reason }) },
  'POST /admin/alerts/evaluation-run': { reach: 'admin', call: () => ({ body: {} }) },
  'POST /alert-subscriptions': { reach: 'district', call: (x) => ({ body: { url: 'http://127.0.0.1:9/alerts', districtCodes: [x.district] } }) },
  'GET /alert-subscriptions': { reach: 'list' },
  'DELETE /alert-subscriptions/{id}': { reach: 'supervise', call: (x) => ({ params: { id: x.subscriptionId } }) },
  'GET /reconciliation/exceptions/{id}': { reach: 'supervise', call: (x) => ({ params: { id: x.exceptionId } }) },
  'POST /reconciliation/exceptions/{id}/resolutions': { reach: 'supervise', call: (x) => ({ params: { id: x.exceptionId }, body: { action: 'timing_difference', ...reason } }) },
  'POST /reconciliation/adjustments/{id}/approve': { reach: 'supervise', call: (x) => ({ params: { id: x.adjustmentId }, body: reason }) },
  'GET /reconciliation/runs/{statementId}': { reach: 'supervise', call: (x) => ({ params: { statementId: x.statementId } }) },
  'POST /bank/settlement-results': bankNotice((x) => ({ instructionId: x.instructionId, status: 'executed', amount: '100.00', currency: 'CNY', fromAccountNumber: x.escrowNumber, bankTransactionId: `MX-${++n}` })),
};

/** After the role check: what a caller must get on its own tenant's resource. */
const OWN: Partial<Record<Reach, Partial<Record<Caller['role'], Outcome>>>> = {
  institution: { regulator: 'allowed', institution: 'allowed', bank: 404 },
  supervise: { regulator: 'allowed', institution: 403, bank: 404 },
  district: { regulator: 'allowed', institution: 404, bank: 404 },
  ledger: { regulator: 'allowed', institution: 'allowed', bank: 'allowed' },
  bank: { bank: 'allowed' },
};

interface Operation { method: string; path: string; id: string; roles: string[] | null; pathParams: string[] }
interface OpenApi { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; responses?: Record<string, { description?: string }> }>> }

/** The operations of the document, and those the matrix cannot classify (no rule, or a rule that misses a path parameter). */
export function plan(doc: OpenApi, rules: Record<string, Rule>) {
  const ops: Operation[] = [];
  const unclassified: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const id = `${method.toUpperCase()} ${path}`;
      const forbidden = /role is not one of (.+)$/.exec(op.responses?.['403']?.description ?? '');
      const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      ops.push({ method: method.toUpperCase(), path, id, roles: forbidden ? forbidden[1].split(', ') : null, pathParams });
      const rule = rules[id];
      if (!rule) unclassified.push(`${id}: no scope rule. Add it to RULES in test/integration/tenant-matrix.spec.ts (which role owns what its path names)`);
      else if (pathParams.length && !rule.call) unclassified.push(`${id}: its rule names none of its path parameters (${pathParams.join(', ')})`);
    }
  }
  const stale = Object.keys(rules).filter((id) => !ops.some((o) => o.id === id));
  return { ops, unclassified: [...unclassified, ...stale.map((id) => `${id}: in RULES but not in the OpenAPI document (remove it)`)] };
}

/** What `caller` must get for `op` naming tenant `target`'s resources (null: the operation names no tenant). */
function expected(op: Operation, rule: Rule, caller: Caller, target: TenantName | null): Outcome {
  if (rule.reach === 'public') return 'allowed';
  if (rule.reach === 'payer') return caller.role !== 'payer' ? 401 : target === caller.tenant ? 'allowed' : 404;
  if (rule.reach === 'token') return caller.role !== 'payer' ? 401 : 'allowed';
  if (caller.role === 'anonymous' || caller.role === 'payer') return 401;
  if (!op.roles?.includes(caller.role)) return 403;
  if (caller.role === 'admin' || ['admin', 'list', 'shared'].includes(rule.reach)) return 'allowed';
  if (target !== caller.tenant) return 404;
  const own = OWN[rule.reach]?.[caller.role];
  if (!own) throw new Error(`${op.id}: no own-tenant outcome for ${caller.role} under reach ${rule.reach}`);
  return own;
}

const outcomeOf = (status: number): Outcome | number => ((status >= 200 && status < 300) || [400, 409, 422].includes(status) ? 'allowed' : status);

async function send(t: TestApp, w: World, op: Operation, rule: Rule, caller: Caller, target: TenantName | null): Promise<TestResponse & { sent: string }> {
  const call = rule.call?.(w[target ?? 'A'], w) ?? {};
  const path = op.path.replace(/\{(\w+)\}/g, (_, p: string) => encodeURIComponent(call.params?.[p] ?? `missing-${p}`));
  const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
  const headers: Record<string, string> = {};
  if (caller.payerToken) headers['payer-token'] = caller.payerToken;
  const rawBody = call.raw ? call.raw.body : call.body === undefined ? undefined : JSON.stringify(call.body);
  if (call.raw) headers['content-type'] = call.raw.contentType;
  if (rawBody !== undefined && caller.bankSecret) Object.assign(headers, signedBy(caller.bankSecret, rawBody));
  return { ...(await t.request(op.method, `${path}${query}`, { key: caller.key, rawBody, headers })), sent: `${path}${query} ${rawBody ?? ''}` };
}

describe('tenant matrix: every operation × every role', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('an operation without a scope rule (or a rule missing a path parameter) fails the matrix', () => {
    const doc: OpenApi = { paths: { '/institutions/{id}/novelty': { get: {} }, '/metrics': { get: {} }, '/health/live': { get: {} }, '/licences/{id}': { get: { parameters: [{ in: 'path', name: 'id' }] } } } };
    const { unclassified } = plan(doc, { 'GET /metrics': { reach: 'public' }, 'GET /health/live': { reach: 'public' }, 'GET /licences/{id}': { reach: 'institution' } });
    expect(unclassified).toEqual([
      expect.stringMatching(/^GET \/institutions\/\{id\}\/novelty: no scope rule\. Add it to RULES/),
      'GET /licences/{id}: its rule names none of its path parameters (id)',
    ]);
  });

  it('no role reaches another tenant, every role reaches its own, nothing answers 5xx', async () => {
    const doc = (await t.request('GET', '/openapi.json', { key: null })).body as OpenApi;
    const { ops, unclassified } = plan(doc, RULES);
    if (unclassified.length) throw new Error(`The tenant matrix cannot classify ${unclassified.length} operation(s):\n${unclassified.join('\n')}`);

    const w = await buildWorld(t);
    await ensureBank(t, spareBank);
    const callers = ROLE_NAMES.map((r) => w.callers[r]);
    const failures: string[] = [];
    let requests = 0;
    const check = async (op: Operation, caller: Caller, target: TenantName | null) => {
      const rule = RULES[op.id];
      const res = await send(t, w, op, rule, caller, target);
      requests += 1;
      const want = expected(op, rule, caller, target);
      const got = outcomeOf(res.status);
      const okMissing = rule.missingOk && caller.role === 'admin' && res.status === 404;
      const where = `${op.id} as ${caller.name} on ${target ?? '-'}'s`;
      if (process.env.TENANT_MATRIX_VERBOSE) process.stdout.write(`${where} -> ${res.status} ${res.status >= 300 ? res.text.slice(0, 120) : ''}\n`);
      if (res.status >= 500 || (got !== want && !okMissing)) failures.push(`${where}: expected ${want}, got ${res.status} ${res.text.slice(0, 200)}`);
      // No answer (listings included, errors too) shows a caller the other tenant's ids, except those it sent itself.
      const other = caller.tenant === 'A' ? 'B' : caller.tenant === 'B' ? 'A' : null;
      if (other && rule.reach !== 'shared') {
        const leaked = w.secretsOf(other).filter((s) => res.text.includes(s) && !res.sent.includes(s));
        if (leaked.length) failures.push(`${where}: ${res.status} shows tenant ${other}'s ${leaked.join(', ')}`);
      }
    };
    const tenantOps = ops.filter((o) => RULES[o.id].call && !['admin', 'public', 'token'].includes(RULES[o.id].reach));
    // First every call on the other tenant (before anything of the callers' own changed state)...
    for (const op of tenantOps) for (const c of callers) if (c.role !== 'admin') await check(op, c, c.tenant === 'A' ? 'B' : 'A');
    // An own path naming the other tenant's resources in the body (its course, its contract as an attendee) is refused too.
    const instA = w.callers.institutionA;
    const mixed: [string, string, unknown][] = [
      ['POST', `/institutions/${w.A.institutionId}/contracts`, { ...RULES['POST /institutions/{id}/contracts'].call!(w.A, w).body as object, courseId: w.B.courseId }],
      ['POST', `/institutions/${w.A.institutionId}/lesson-sessions`, { ...RULES['POST /institutions/{id}/lesson-sessions'].call!(w.A, w).body as object, attendees: [w.B.contractId] }],
    ];
    for (const [method, path, body] of mixed) {
      const res = await t.request(method, path, { key: instA.key, body });
      requests += 1;
      if (![404, 422].includes(res.status)) failures.push(`${method} ${path} as institutionA with tenant B's ids in the body: expected 404 or 422, got ${res.status} ${res.text.slice(0, 200)}`);
    }
    // ...then on their own (an admin on both, last, so the tenant's own callers meet the state the world built), and the operations that name no tenant.
    for (const op of ops) {
      for (const c of [...callers.filter((x) => x.role !== 'admin'), w.callers.admin]) {
        if (!tenantOps.includes(op)) await check(op, c, null);
        else if (c.role === 'admin') for (const x of ['A', 'B'] as const) await check(op, c, x);
        else if (c.tenant) await check(op, c, c.tenant);
      }
    }
    process.stdout.write(`tenant matrix: ${ops.length} operations x ${callers.length} roles = ${ops.length * callers.length} cells (${requests} requests), ${failures.length} failures\n`);
    expect(failures).toEqual([]);
  });
});
