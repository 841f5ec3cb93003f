import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { generateApiKeyToken } from '@modules/api-keys/api-key-token';
import { benchBankSecretKeys, benchBaseline, benchDatabase, round } from './bench-support';
import { withBaseline } from './pgbench-baseline';

/**
 * npm run bench:lessons — starts the service (PROCESS_ROLE=api) on a seeded database and drives
 * POST /institutions/:id/lesson-sessions with autocannon: (a) single attendances, (b) class
 * sessions of 30 attendees over 100 institutions, (c) the same all in one institution. Every
 * attendance consumes (records) one lesson with its exact amount; the payer's confirmation then
 * releases it (measured separately as (d), one release per request).
 */
const SPREAD = 100;
const PER_INSTITUTION = 60;
const HOT_CONTRACTS = 3000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

interface School {
  id: string;
  course: string;
  token: string;
  contracts: string[];
  cursor: number;
}

async function seed(url: string): Promise<School[]> {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await seedWith(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function seedWith(c: Client): Promise<School[]> {
  await c.query(`SET session_replication_role = replica`);
  await c.query(`
    INSERT INTO institutions (id, name, uscc, district_code, category, profit_type, address, legal_representative, contact_name, contact_phone)
    SELECT gen_random_uuid(), '机构' || i, 'L' || lpad(i::text, 17, '0'), '310117', 'subject', 'for_profit', '地址', '法人', '联系人', '13800000000'
      FROM generate_series(1, $1) i`, [SPREAD + 1]);
  await c.query(`INSERT INTO escrow_accounts (institution_id, bank_code, account_number, account_name, mode, agreement_reference)
                 SELECT id, 'ICBC-SH', 'A' || uscc, name, 'full_custody', 'AGR' FROM institutions`);
  await c.query(`INSERT INTO courses (institution_id, name, category, kind, lesson_minutes, class_size_band, list_price_per_lesson)
                 SELECT id, '课程', 'subject', 'lesson_pack', 60, 'large', 100 FROM institutions`);
  const [{ policy }] = (await c.query(`SELECT id AS policy FROM jurisdiction_policies WHERE code = '310000'`)).rows;
  await c.query(`
    CREATE TEMP TABLE seed AS
    SELECT gen_random_uuid() AS id, i.id AS institution_id, e.id AS escrow_id, co.id AS course_id, n
      FROM (SELECT id, uscc, row_number() OVER (ORDER BY uscc) AS k FROM institutions) i
      JOIN escrow_accounts e ON e.institution_id = i.id JOIN courses co ON co.institution_id = i.id,
      LATERAL generate_series(1, CASE WHEN i.k = 1 THEN $1::int ELSE $2::int END) n`, [HOT_CONTRACTS, PER_INSTITUTION]);
  await c.query(`
    INSERT INTO contracts (id, reference, institution_id, course_id, escrow_account_id, payer_name, payer_phone, student_name, lessons, start_date, end_date,
                           total_price, amount_paid, currency, policy_id, policy_code, policy_version, deemed_confirmation_days, release_cadence,
                           model_contract_version, state, payer_token_hash, refund_response_working_days, refund_days_before_start, refund_days_after_start)
    SELECT id, 'B' || replace(id::text, '-', ''), institution_id, course_id, escrow_id, '家长', '13600000000', '学生', 60, '2026-01-01', '2026-03-31',
           6000.00, 6000.00, 'CNY', p.policy_id, p.policy_code, p.policy_version, p.deemed_days, p.cadence,
           'GF-2021-2604', 'active', sha256(convert_to(id::text, 'UTF8')), 5, 5, 15 FROM seed,
           (SELECT id AS policy_id, code AS policy_code, version AS policy_version, (rules->>'deemedConfirmationWorkingDays')::int AS deemed_days,
                   rules->'releaseCadence' AS cadence FROM jurisdiction_policies WHERE id = $1) p`, [policy]);
  // Funded through balanced postings: bank cash → each contract's held funds.
  await c.query(`INSERT INTO ledger_accounts (code, type, currency, normal_side, allow_negative, stripes, escrow_account_id, institution_id)
                 SELECT 'escrow:' || e.id || ':bank_cash:CNY', 'bank_cash', 'CNY', 'debit', false, 16, e.id, e.institution_id FROM escrow_accounts e`);
  await c.query(`INSERT INTO ledger_accounts (code, type, currency, normal_side, allow_negative, stripes, escrow_account_id, institution_id, contract_id)
                 SELECT 'contract:' || id || ':contract_held:CNY', 'contract_held', 'CNY', 'credit', false, 1, escrow_id, institution_id, id FROM seed`);
  await c.query(`CREATE TEMP TABLE moves AS SELECT row_number() OVER () AS txn, id, escrow_id FROM seed`);
  await c.query(`INSERT INTO ledger_transactions (id, type, request_hash) SELECT txn, 'funding', 'bench' FROM moves`);
  await c.query(`SELECT setval(pg_get_serial_sequence('ledger_transactions', 'id'), (SELECT max(id) FROM ledger_transactions))`);
  await c.query(`
    INSERT INTO ledger_postings (transaction_id, account_id, amount, currency)
    SELECT m.txn, a.id, 6000, 'CNY' FROM moves m JOIN ledger_accounts a ON a.code = 'escrow:' || m.escrow_id || ':bank_cash:CNY'
    UNION ALL SELECT m.txn, a.id, -6000, 'CNY' FROM moves m JOIN ledger_accounts a ON a.code = 'contract:' || m.id || ':contract_held:CNY'`);
  await c.query(`INSERT INTO ledger_balances (account_id, stripe, institution_id, account_type, currency) SELECT a.id, s, a.institution_id, a.type, a.currency FROM ledger_accounts a, generate_series(0, a.stripes - 1) s`);
  await c.query(`UPDATE ledger_balances b SET balance = x.t FROM (SELECT p.account_id, sum(p.amount) * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END AS t
                   FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id GROUP BY 1, a.normal_side) x WHERE b.account_id = x.account_id AND b.stripe = 0`);
  await c.query(`RESET session_replication_role`);
  await c.query(`VACUUM ANALYZE`);
  const rows: { id: string; course: string; contracts: string[] }[] = (
    await c.query(`SELECT i.id, co.id AS course, array_agg(ct.id ORDER BY ct.id) AS contracts FROM institutions i JOIN courses co ON co.institution_id = i.id
                    JOIN contracts ct ON ct.institution_id = i.id GROUP BY i.id, co.id ORDER BY count(*) DESC`)
  ).rows;
  const schools: School[] = [];
  for (const r of rows) {
    const key = generateApiKeyToken();
    await c.query(`INSERT INTO api_keys (name, role, institution_id, key_prefix, key_hash) VALUES ('bench', 'institution', $1, $2, $3)`, [r.id, key.prefix, key.hash]);
    schools.push({ id: r.id, course: r.course, token: key.token, contracts: r.contracts, cursor: 0 });
  }
  return schools;
}

async function startService(url: string): Promise<{ base: string; stop: () => Promise<void> }> {
  const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // BENCH_SERVICE_MAIN: another build's service (e.g. /work/before/dist/src/main.js) under the same driver, for A/B runs.
  const main = process.env.BENCH_SERVICE_MAIN || join(__dirname, '..', 'src', 'main.js');
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: { ...process.env, DATABASE_URL: url, BANK_SECRET_KEYS: benchBankSecretKeys(process.env), REDIS_URL: '', PROCESS_ROLE: 'api', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '100000000', DATABASE_POOL_SIZE: '24' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /API:\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`service exited ${code}: ${out}`)));
  });
  return { base, stop: () => new Promise((r) => { child.on('exit', () => r()); child.kill('SIGTERM'); }) };
}

let sessionSeq = 0;
/** Real clients send an Idempotency-Key with every mutation; BENCH_IDEMPOTENCY=0 measures without one. */
const IDEMPOTENCY = process.env.BENCH_IDEMPOTENCY !== '0';
let idemSeq = 0;
function sessionBody(s: School, attendees: number): string {
  const list: string[] = [];
  for (let i = 0; i < attendees; i++) list.push(s.contracts[(s.cursor + i) % s.contracts.length]);
  s.cursor = (s.cursor + attendees) % s.contracts.length;
  const minute = sessionSeq++;
  const start = new Date(Date.UTC(2026, 0, 5) + minute * 60_000).toISOString();
  const end = new Date(Date.UTC(2026, 0, 5) + minute * 60_000 + 3_000_000).toISOString();
  return JSON.stringify({ sessionKey: `bench-${minute}`, courseId: s.course, startsAt: start, endsAt: end, teacher: 'T', location: 'R', attendees: list });
}

/** Commits of the bench database so far (PostgreSQL's own count): commits per request = delta / requests. */
async function commits(url: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const [{ n }] = (await c.query(`SELECT xact_commit::bigint::text AS n FROM pg_stat_database WHERE datname = current_database()`)).rows;
    return Number(n);
  } finally {
    await c.end();
  }
}

async function run(url: string, base: string, name: string, pick: () => School, attendees: number) {
  // Each shape starts from a vacuumed, analysed database: what the shape before it wrote (twice as much
  // when it is twice as fast) would otherwise be vacuumed during it by autovacuum.
  const v = new Client({ connectionString: url });
  await v.connect();
  await v.query(`VACUUM ANALYZE`).finally(() => v.end());
  await new Promise((r) => setTimeout(r, 600)); // pg_stat_database is flushed by backends every 500 ms
  const before = await commits(url);
  let lessons = 0;
  let failed = 0;
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        setupRequest: (req: autocannon.Request) => {
          const s = pick();
          const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${s.token}` };
          if (IDEMPOTENCY) headers['idempotency-key'] = `bench-${process.pid}-${idemSeq++}`;
          return { ...req, path: `/institutions/${s.id}/lesson-sessions`, headers, body: sessionBody(s, attendees) };
        },
        onResponse: (status: number) => {
          if (status === 201) lessons += attendees;
          else failed += 1;
        },
      },
    ],
  });
  const perS = result.requests.average;
  const lessonsPerS = lessons / SECONDS;
  await new Promise((r) => setTimeout(r, 600));
  const perRequest = (await commits(url)) - before - 1;
  process.stdout.write(
    `${name.padEnd(34)} ${round(perS)} req/s, ${Math.round(lessonsPerS)} lessons recorded/s, ${failed} failed | p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms | ${round(perRequest / Math.max(1, result.requests.total))} commits/request\n`,
  );
  return { perS, lessonsPerS, p99: result.latency.p99 };
}

async function main() {
  const db = await benchDatabase(process.env);
  try {
    const baseline = await benchBaseline(db);
    process.stdout.write(`bench:lessons on ${db.where}: seeding ${SPREAD} institutions x ${PER_INSTITUTION} contracts and 1 hot institution x ${HOT_CONTRACTS} (60 lessons each)...\n`);
    const schools = await seed(db.url);
    const hot = schools[0];
    const spread = schools.slice(1);
    const svc = await startService(db.url);
    try {
      let i = 0;
      // BENCH_ONLY_SINGLE=1: (a) alone (for a profile of it); BENCH_ONLY_BATCH=1: (b) alone.
      const onlyBatch = process.env.BENCH_ONLY_BATCH === '1';
      const a = onlyBatch ? null : await run(db.url, svc.base, '(a) single attendances, 100 inst', () => spread[i++ % spread.length], 1);
      const only = process.env.BENCH_ONLY_SINGLE === '1';
      const b = only ? a! : await run(db.url, svc.base, '(b) sessions of 30, 100 inst', () => spread[i++ % spread.length], 30);
      const c = only || onlyBatch ? (a ?? b) : await run(db.url, svc.base, '(c) sessions of 30, one institution', () => hot, 30);
      const check = new Client({ connectionString: db.url });
      await check.connect();
      const [{ bad }] = (await check.query(`SELECT count(*)::int AS bad FROM contracts c WHERE amount_consumed <> (SELECT coalesce(sum(amount), 0) FROM lessons l WHERE l.contract_id = c.id AND state <> 'withdrawn')`)).rows;
      const [{ n }] = (await check.query(`SELECT count(*)::int AS n FROM lessons`)).rows;
      await check.end();
      process.stdout.write(`checks: ${n} lessons recorded; contracts whose consumed amount differs from their lessons: ${bad}\n`);
      process.stdout.write(
        `${JSON.stringify(
          withBaseline(
            {
              bench: 'lessons',
              single_per_s: Math.round((a ?? b).perS),
              single_p99_ms: (a ?? b).p99,
              batch_releases_per_s: Math.round(b.lessonsPerS),
              hot_batch_releases_per_s: Math.round(c.lessonsPerS),
              p99_ms: Math.max((a ?? b).p99, b.p99, c.p99),
            },
            baseline,
          ),
        )}\n`,
      );
    } finally {
      await svc.stop();
    }
  } finally {
    await db.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
