import { Clock } from '@common/clock';
import { school } from '../support/contract-fixtures';
import { baseline, bodyCases, HostileCase, OpenApiDoc, Operation, operations, PATH_ATTACKS, queryAttacks } from '../support/openapi-walker';
import { startTestApp, TestApp, TestResponse } from '../support/test-app';

/**
 * Suite item 1 of issue 12: every operation of /openapi.json gets, per field kind, the classic bad
 * values. Every answer is a 4xx in the documented error shape (never a 5xx), and the money tables
 * are exactly as before. New endpoints are covered without writing anything here.
 */

const MONEY_TABLES = ['ledger_transactions', 'ledger_postings', 'ledger_balances', 'settlement_instructions', 'bank_credits', 'lessons', 'contracts'];

/**
 * Defects found by this walk in modules another helper is refactoring (issue 11): reported here
 * (and as todos) instead of failing the suite until the fix lands there. An entry that no longer
 * occurs fails the test: delete it.
 */
const KNOWN_DEFECTS: { pattern: RegExp; where: string; fix: string }[] = [];

/** Path parameters get real values (so a request gets as far as it can), found by the segment before them. */
const REAL_PARAMS: Record<string, (w: World) => string> = {
  institutions: (w) => w.institutionId,
  licences: (w) => w.licenceId,
  'escrow-accounts': (w) => w.escrowId,
  contracts: (w) => w.contractId,
  lessons: (w) => w.lessonId,
  accounts: (w) => w.ledgerAccountId,
  transactions: (w) => w.ledgerTransactionId,
  'api-keys': (w) => w.spareKeyId,
  banks: () => 'ICBC-SH',
  districts: () => '310117',
  policies: () => '310117',
  calendar: () => '2027-10-08',
  'settlement-instructions': (w) => w.instructionId,
  'queue-probes': (w) => w.probeId,
  queues: (w) => w.queueName,
};

interface World {
  institutionId: string;
  licenceId: string;
  escrowId: string;
  contractId: string;
  lessonId: string;
  ledgerAccountId: string;
  ledgerTransactionId: string;
  spareKeyId: string;
  instructionId: string;
  probeId: string;
  queueName: string;
}

describe('hostile input from the OpenAPI document', () => {
  let t: TestApp;
  let world: World;
  let keys: string[];

  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api', RATE_LIMIT_PER_MINUTE: '10000000' } });
    const clock = t.app.get(Clock);
    clock.travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t);
    const c = await s.contract(3, '300.00');
    clock.travelTo(new Date('2026-12-06T04:00:00Z'));
    const session = await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
      key: s.instKey,
      body: { sessionKey: 'hostile-1', courseId: s.course.id, startsAt: '2026-12-05T01:00:00Z', endsAt: '2026-12-05T02:00:00Z', teacher: '刘老师', location: '3号教室', attendees: [c.id] },
    });
    const lessonId = session.body.lessons[0].id;
    await t.request('POST', `/payer/lessons/${lessonId}/confirm`, { key: null, headers: { 'payer-token': c.payerToken } });
    const first = async (sql: string) => (await t.db.query<{ id: string }>(sql))[0]?.id;
    const licences = await t.request('GET', `/institutions/${s.inst.id}/licences`);
    const queues = await t.request('GET', '/admin/queues/summary');
    world = {
      institutionId: s.inst.id,
      licenceId: licences.body[0].id,
      escrowId: s.escrow.id,
      contractId: c.id,
      lessonId,
      ledgerAccountId: await first('SELECT id::text FROM ledger_accounts ORDER BY id LIMIT 1'),
      ledgerTransactionId: await first('SELECT id::text FROM ledger_transactions ORDER BY id LIMIT 1'),
      spareKeyId: (await t.request('POST', '/admin/api-keys', { body: { name: 'spare', role: 'admin' } })).body.id,
      instructionId: (await first('SELECT id::text FROM settlement_instructions LIMIT 1')) ?? '6f1c1a52-8c3b-4a35-a2cf-0d6bbf0f6d36',
      probeId: (await t.request('POST', '/admin/diagnostics/queue-probes', { body: {} })).body.id,
      queueName: (Array.isArray(queues.body) && queues.body[0]?.queue) || 'settlement',
    };
    const bankKey = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
    keys = [t.adminKey, s.r1, s.instKey, bankKey];
  }, 120_000);
  afterAll(() => t.close());

  /** Counts and sums of every numeric column of the money tables. */
  const moneySnapshot = async () => {
    const snapshot: Record<string, unknown> = {};
    for (const table of MONEY_TABLES) {
      const cols = await t.db.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND data_type = 'numeric' ORDER BY column_name`, [table]);
      const sums = cols.map((c) => `sum("${c.column_name}")::text AS "${c.column_name}"`);
      snapshot[table] = (await t.db.query(`SELECT ${['count(*)::int AS rows', ...sums].join(', ')} FROM ${table}`))[0];
    }
    return snapshot;
  };

  const realPath = (op: Operation, override?: { param: string; value: string }) =>
    op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (override?.param === name) return override.value;
      const segments = op.path.split('/');
      const before = segments[segments.indexOf(`{${name}}`) - 1];
      return (REAL_PARAMS[before] ?? (() => '3b241101-e2bb-4255-8caf-4136c566a962'))(world);
    });

  const send = (op: Operation, key: string | null, c: HostileCase): Promise<TestResponse> => {
    const headers: Record<string, string> = { ...c.headers };
    if (c.contentType) headers['content-type'] = c.contentType;
    const url = c.query === undefined ? c.path : `${c.path}?${c.query}`;
    return t.request(op.method, url, { key, rawBody: c.body, headers });
  };

  /** Problems with one answer: a 5xx, a refusal outside the documented shape, or a strict case accepted. */
  const problems = (c: HostileCase, res: TestResponse): string[] => {
    const out: string[] = [];
    if (res.status >= 500) out.push('answered 5xx');
    if (res.status >= 400) {
      const b = res.body;
      const ok =
        b && typeof b === 'object' && b.error && typeof b.error.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(b.error.code) &&
        typeof b.error.message === 'string' && 'details' in b.error && typeof b.requestId === 'string' && b.requestId === res.headers.get('x-request-id');
      if (!ok) out.push('error body not in the documented shape');
    } else if (c.strict) {
      out.push('accepted');
    }
    return out;
  };

  it('answers every hostile request with a 4xx in the documented shape, never a 5xx, and moves no money', async () => {
    const doc = (await t.request('GET', '/openapi.json', { key: null })).body as OpenApiDoc;
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(50);
    const before = await moneySnapshot();

    const jobs: { op: Operation; key: string | null; c: HostileCase }[] = [];
    for (const op of ops) {
      const base = op.body ? baseline(doc, op.body) : undefined;
      const baseBody = base === undefined ? undefined : JSON.stringify(base);
      const path = realPath(op);
      // The role that gets past the guard (admin, else regulator, institution, bank): guards run before validation.
      let key: string | null = keys[0];
      for (const k of keys) {
        key = k;
        const probe = await send(op, k, { what: 'probe', path, body: baseBody && JSON.stringify({ ...(base as object), __probe: 1 }), strict: false });
        if (probe.status !== 403) break;
      }
      const cases: HostileCase[] = [];
      for (const param of op.pathParams) {
        for (const [label, value] of PATH_ATTACKS) cases.push({ what: `path ${param} = ${label}`, path: realPath(op, { param, value }), body: baseBody, strict: true });
      }
      for (const q of op.query) {
        for (const [label, value] of queryAttacks(q.name, q.schema)) {
          // May be accepted (a valid cursor of another list can be a valid one of this list too); never a 5xx.
          const strict = !['empty', 'repeated', 'any text (may match nothing)', 'base64 of a bigint id', 'base64 of a uuid', 'base64 of a uuid and a date'].includes(label);
          cases.push({ what: `query ${q.name} = ${label}`, path, query: `${q.name}=${value}`, body: baseBody, strict });
        }
      }
      if (op.query.length) cases.push({ what: 'unknown query parameter', path, query: '__hostile=1', body: baseBody, strict: true });
      if (op.body) cases.push(...bodyCases(doc, op, path, base));
      if (op.headers.includes('idempotency-key')) {
        for (const [label, value] of [['10 kB', 'k'.repeat(10_000)], ['spaces', 'a b'], ['non-ASCII', 'clé']]) {
          cases.push({ what: `Idempotency-Key ${label}`, path, body: baseBody, headers: { 'idempotency-key': value }, strict: true });
        }
      }
      if (op.path.startsWith('/payer/')) {
        for (const [label, value] of [['bogus', 'pay_bogus'], ['10 kB', 'p'.repeat(10_000)], ['empty', '']]) {
          cases.push({ what: `payer-token ${label}`, path, body: baseBody, headers: { 'payer-token': value }, strict: true });
        }
      }
      for (const c of cases) jobs.push({ op, key: op.path.startsWith('/payer/') ? null : key, c });
      jobs.push({ op, key: null, c: { what: 'no API key', path, body: baseBody, strict: false } });
      jobs.push({ op: { ...op, method: 'DELETE' }, key, c: { what: 'DELETE (no such route)', path, strict: op.method !== 'DELETE' } });
    }
    const platform: [string, string][] = [['GET', '/no-such-route'], ['PROPFIND', '/institutions'], ['GET', `/institutions/${'a'.repeat(5000)}`], ['GET', '/%zz'], ['GET', '/institutions/%00']];
    for (const [method, path] of platform) jobs.push({ op: { method, path, pathParams: [], query: [], headers: [], body: null }, key: keys[0], c: { what: method, path, strict: true } });

    const failures: string[] = [];
    let fiveXX = 0;
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const { op, key, c } = jobs[next++];
        const res = await send(op, key, c);
        if (res.status >= 500) fiveXX += 1;
        // WALK_DEBUG='PATCH /institutions' prints every answer of the matching operations.
        if (process.env.WALK_DEBUG && `${op.method} ${op.path}`.includes(process.env.WALK_DEBUG)) process.stdout.write(`DBG ${c.what} ${res.status} ${res.text.slice(0, 200)}\n`);
        for (const p of problems(c, res)) failures.push(`${op.method} ${op.path} [${c.what}]: ${p} (${res.status} ${res.text.slice(0, 160)})`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));

    const known = (f: string) => KNOWN_DEFECTS.some((d) => d.pattern.test(f));
    const knownFiveXX = failures.filter((f) => known(f) && f.includes('answered 5xx')).length;
    process.stdout.write(`hostile input: ${jobs.length} requests over ${ops.length} operations, ${fiveXX - knownFiveXX} answered 5xx` +
      (knownFiveXX ? ` (plus ${knownFiveXX} known, in modules being refactored: see KNOWN_DEFECTS)` : '') + '\n');
    for (const f of failures.filter(known)) process.stdout.write(`  known defect: ${f.slice(0, 200)}\n`);
    expect(failures.filter((f) => !known(f))).toEqual([]);
    expect(KNOWN_DEFECTS.filter((d) => !failures.some((f) => d.pattern.test(f))).map((d) => `fixed, remove from KNOWN_DEFECTS: ${d.where}`)).toEqual([]);
    expect(await moneySnapshot()).toEqual(before);
  }, 120_000);

  for (const d of KNOWN_DEFECTS) it.todo(`${d.where}: ${d.fix}`);
});
