import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { createApp } from '@bootstrap/create-app';
import { loadConfig } from '@config/load-config';
import { chinaDate } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { DatabaseUrl } from '@infra/database/database-url';
import { ApiKeysService } from '@modules/api-keys/api-keys.service';
import { LedgerDayCloseService } from '@modules/ledger/ledger-day-close.service';
import { BenchDatabase, benchBankSecretKeys, benchBaseline, benchDatabase, percentile, round } from './bench-support';
import { runMigrations } from '@infra/database/migrator';
import { withBaseline } from './pgbench-baseline';

/**
 * npm run bench:audit — seeds funded contracts (a third with a lesson released), all through
 * balanced ledger postings with their balance rows, then times the audit over HTTP as a regulator.
 *   (default) `--shape district`: one district (310117), 2,000 institutions, 500,000 contracts.
 *   `--shape city`: Shanghai (310000) over its 16 districts, 20,000 institutions, 5,000,000
 *   contracts, postings spread evenly over the last 30 days, the ledger's daily close run for the
 *   past days and its checkpoints taken up to 5 minutes before the last posting; times
 *   GET /audit/districts/310000 now, as of yesterday 12:30 and as of 20 days ago at noon.
 * `--institutions N --contracts N` change the size, `--baseline` runs pgbench first, `--reuse URL`
 * runs on a database kept by an earlier run (BENCH_KEEP=1). Ends with one JSON line.
 */
const USAGE = 'npm run bench:audit -- [--shape district|city] [--institutions N] [--contracts N] [--requests 30] [--reuse <kept database URL>] [--baseline]';
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const SHAPE = arg('--shape') ?? 'district';
if (SHAPE !== 'district' && SHAPE !== 'city') throw new Error(USAGE);
const CITY = SHAPE === 'city';
const INSTITUTIONS = Number(arg('--institutions') ?? process.env.BENCH_INSTITUTIONS ?? (CITY ? 20_000 : 2000));
const CONTRACTS = Number(arg('--contracts') ?? process.env.BENCH_CONTRACTS ?? (CITY ? 5_000_000 : 500_000));
const REQUESTS = Number(arg('--requests') ?? process.env.BENCH_REQUESTS ?? 30);
/** `--reuse <database URL>`: a database kept by an earlier run (BENCH_KEEP=1), migrated, not seeded again nor dropped. */
const REUSE = arg('--reuse');
/** Shanghai's 16 districts; the district shape puts everything in Jiading (310117). */
const DISTRICTS = CITY
  ? ['310101', '310104', '310105', '310106', '310107', '310109', '310110', '310112', '310113', '310114', '310115', '310116', '310117', '310118', '310120', '310151']
  : ['310117'];
const AUDITED = CITY ? '310000' : '310117';
/** Postings spread over this many days back (the city shape), so past days can be closed. */
const HISTORY_DAYS = CITY ? 30 : 0;

async function seed(url: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  const per = Math.ceil(CONTRACTS / INSTITUTIONS);
  // Bulk load: triggers are off for this session only (the rows are built balanced, and checked below).
  await c.query(`SET session_replication_role = replica`);
  await c.query(`
    INSERT INTO institutions (id, name, uscc, district_code, category, profit_type, address, legal_representative, contact_name, contact_phone)
    SELECT gen_random_uuid(), '基准机构' || i, 'B' || lpad(i::text, 17, '0'), ($2::text[])[1 + i % cardinality($2::text[])], 'non_subject', 'for_profit', '地址 ' || i, '法人' || i, '联系人', '13800000000'
      FROM generate_series(1, $1) i`, [INSTITUTIONS, DISTRICTS]);
  await c.query(`
    INSERT INTO escrow_accounts (institution_id, bank_code, account_number, account_name, mode, agreement_reference)
    SELECT id, 'ICBC-SH', 'A' || uscc, name || '监管专户', 'full_custody', 'AGR-' || uscc FROM institutions`);
  await c.query(`INSERT INTO courses (institution_id, name, category, kind, lesson_minutes, class_size_band, list_price_per_lesson)
                 SELECT id, '课程', 'non_subject', 'lesson_pack', 60, 'medium', 100 FROM institutions`);
  const [{ policy }] = (await c.query(`SELECT id AS policy FROM jurisdiction_policies WHERE code = '310000'`)).rows;
  await c.query(`
    INSERT INTO ledger_accounts (code, type, currency, normal_side, allow_negative, stripes, escrow_account_id, institution_id)
    SELECT 'escrow:' || e.id || ':bank_cash:CNY', 'bank_cash', 'CNY', 'debit', false, 16, e.id, e.institution_id FROM escrow_accounts e
    UNION ALL SELECT 'institution:' || i.id || ':institution_unsettled:CNY', 'institution_unsettled', 'CNY', 'credit', false, 16, NULL, i.id FROM institutions i`);
  await c.query(`
    CREATE TEMP TABLE seed_contracts AS
    SELECT gen_random_uuid() AS id, i.id AS institution_id, e.id AS escrow_id, co.id AS course_id, n, row_number() OVER () AS g,
           ((n % 4900) + 100)::numeric(18,2) AS total, ((n % 4900) + 100)::numeric(18,2) / 10 AS lesson
      FROM institutions i JOIN escrow_accounts e ON e.institution_id = i.id JOIN courses co ON co.institution_id = i.id,
           generate_series(1, $1) n`, [per]);
  await c.query(`
    INSERT INTO contracts (id, reference, institution_id, course_id, escrow_account_id, payer_name, payer_phone, student_name, lessons, start_date, end_date,
                           total_price, amount_paid, currency, policy_id, policy_code, policy_version, deemed_confirmation_days, release_cadence,
                           model_contract_version, state, payer_token_hash, refund_response_working_days, refund_days_before_start, refund_days_after_start)
    SELECT id, 'HT' || replace(id::text, '-', ''), institution_id, course_id, escrow_id, '家长', '13600000000', '学生', 10, '2026-12-01', '2027-02-28',
           total, total, 'CNY', p.policy_id, p.policy_code, p.policy_version, p.deemed_days, p.cadence,
           'GF-2021-2604', 'active', sha256(convert_to(id::text, 'UTF8')), 5, 5, 15
      FROM seed_contracts,
           (SELECT id AS policy_id, code AS policy_code, version AS policy_version, (rules->>'deemedConfirmationWorkingDays')::int AS deemed_days,
                   rules->'releaseCadence' AS cadence FROM jurisdiction_policies WHERE id = $1) p`, [policy]);
  await c.query(`
    INSERT INTO ledger_accounts (code, type, currency, normal_side, allow_negative, stripes, escrow_account_id, institution_id, contract_id)
    SELECT 'contract:' || id || ':contract_held:CNY', 'contract_held', 'CNY', 'credit', false, 1, escrow_id, institution_id, id FROM seed_contracts`);
  // One funding per contract; a lesson released for every third.
  await c.query(`
    CREATE TEMP TABLE seed_moves AS
    SELECT row_number() OVER () + (SELECT coalesce(max(id), 0) FROM ledger_transactions) AS txn, kind, s.id AS contract_id, s.institution_id, s.escrow_id, amount,
           -- Spread evenly over the history (every hour of every day, not one burst a day): a
           -- funding g*7919 s (mod the history) ago, its release half as long ago.
           now() - make_interval(secs => CASE WHEN $1::int = 0 THEN n % 3000 WHEN kind = 'funding' THEN (g * 7919) % ($1::int * 86400) ELSE ((g * 7919) % ($1::int * 86400)) / 2 END) AS at
      FROM (SELECT id, institution_id, escrow_id, 'funding' AS kind, total AS amount, n, g FROM seed_contracts
            UNION ALL SELECT id, institution_id, escrow_id, 'release', lesson, n, g FROM seed_contracts WHERE n % 3 = 0) s
     ORDER BY at`, [HISTORY_DAYS]);
  await c.query(`INSERT INTO ledger_transactions (id, type, request_hash, created_at) SELECT txn, kind, 'bench', at FROM seed_moves`);
  await c.query(`SELECT setval(pg_get_serial_sequence('ledger_transactions', 'id'), (SELECT max(id) FROM ledger_transactions))`);
  await c.query(`
    INSERT INTO ledger_postings (transaction_id, account_id, amount, currency, created_at)
    SELECT txn, account_id, amount, 'CNY', at FROM (
      SELECT m.txn, a.id AS account_id, CASE WHEN m.kind = 'funding' THEN m.amount ELSE -m.amount END AS amount, m.at
        FROM seed_moves m JOIN ledger_accounts a ON a.code = CASE WHEN m.kind = 'funding' THEN 'escrow:' || m.escrow_id || ':bank_cash:CNY'
                                                                 ELSE 'institution:' || m.institution_id || ':institution_unsettled:CNY' END
      UNION ALL
      SELECT m.txn, a.id, CASE WHEN m.kind = 'funding' THEN -m.amount ELSE m.amount END, m.at
        FROM seed_moves m JOIN ledger_accounts a ON a.code = 'contract:' || m.contract_id || ':contract_held:CNY') x
     ORDER BY at, txn`);
  await c.query(`INSERT INTO ledger_balances (account_id, stripe, institution_id, account_type, currency)
                 SELECT a.id, s, a.institution_id, a.type, a.currency FROM ledger_accounts a, generate_series(0, a.stripes - 1) s`);
  await c.query(`
    UPDATE ledger_balances b SET balance = x.total
      FROM (SELECT p.account_id, sum(p.amount) * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END AS total
              FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id GROUP BY p.account_id, a.normal_side) x
     WHERE b.account_id = x.account_id AND b.stripe = 0`);
  await c.query(`RESET session_replication_role`);
  const [{ bad }] = (await c.query(`SELECT count(*)::int AS bad FROM (SELECT transaction_id FROM ledger_postings GROUP BY transaction_id HAVING sum(amount) <> 0) x`)).rows;
  if (bad !== 0) throw new Error(`seed produced ${bad} unbalanced transactions`);
  await c.query(`VACUUM ANALYZE`);
  await c.end();
}

async function sql(url: string, text: string): Promise<Record<string, unknown>[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

async function reusedDatabase(url: string): Promise<BenchDatabase> {
  await runMigrations(url);
  const server = new URL(url);
  server.pathname = '/postgres';
  return { url, serverUrl: server.toString(), where: `the kept database ${server.host}${new URL(url).pathname}`, drop: async () => undefined };
}

async function main() {
  const db = REUSE ? await reusedDatabase(REUSE) : await benchDatabase(process.env);
  const baseline = await benchBaseline(db);
  const t0 = Date.now();
  let seedS: number | null = null;
  if (!REUSE) {
    process.stdout.write(`bench:audit (${SHAPE}) on ${db.where}: seeding ${INSTITUTIONS} institutions in ${DISTRICTS.length} districts and ${CONTRACTS} contracts...\n`);
    await seed(db.url);
    seedS = round((Date.now() - t0) / 1000);
    process.stdout.write(`seeded in ${seedS} s\n`);
  }
  const config = loadConfig({ DATABASE_URL: db.url, BANK_SECRET_KEYS: benchBankSecretKeys(process.env), PROCESS_ROLE: 'api', LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1' });
  const app = await createApp(config, new DatabaseUrl(db.url, false));
  try {
    let closeS: number | null = null;
    let checkpointS: number | null = null;
    let sinceCheckpoint: number | null = null;
    if (HISTORY_DAYS > 0) {
      const t1 = Date.now();
      const closed = await app.get(LedgerDayCloseService).closeDays(chinaDate(new Date()));
      closeS = round((Date.now() - t1) / 1000);
      await sql(db.url, `ANALYZE ledger_day_balances`);
      process.stdout.write(`daily close of ${closed.closed.length} past days in ${closeS} s (${round(closeS / Math.max(1, closed.closed.length), 2)} s a day)\n`);
      // Checkpoints up to 5 minutes before the last posting (the job runs every 5 minutes, so
      // "now" adds up to about 5 minutes of postings; here 5 to 10: the worse case).
      const lastAt = (await sql(db.url, `SELECT max(created_at) AS at FROM ledger_postings`))[0].at as Date;
      const t2 = Date.now();
      const cps = await app.get(LedgerDayCloseService).takeCheckpoints(new Date(lastAt.getTime() - 5 * 60_000));
      checkpointS = round((Date.now() - t2) / 1000);
      await sql(db.url, `ANALYZE ledger_checkpoint_balances`);
      const [{ since, n }] = await sql(db.url, `SELECT max(closes_at) AS since, (SELECT count(*)::int FROM ledger_postings WHERE created_at >= (SELECT max(closes_at) FROM ledger_checkpoints)) AS n FROM ledger_checkpoints`);
      sinceCheckpoint = n as number;
      process.stdout.write(`${cps.taken.length} checkpoints in ${checkpointS} s (${round(checkpointS / Math.max(1, cps.taken.length), 2)} s each); ${n} postings since the last (${(since as Date).toISOString()})\n`);
    }
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.getHttpServer().address() as AddressInfo;
    const key = (await app.get(ApiKeysService).create({ name: 'bench regulator', role: 'regulator', districts: [AUDITED] })).token;
    const get = async (query = '') => {
      const s = process.hrtime.bigint();
      const res = await fetch(`http://127.0.0.1:${port}/audit/districts/${AUDITED}${query}`, { headers: { authorization: `Bearer ${key}` } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`audit answered ${res.status}: ${body.slice(0, 200)}`);
      return { ms: Number(process.hrtime.bigint() - s) / 1e6, body };
    };
    const timed = async (query: string) => {
      await get(query); // warm-up
      const times: number[] = [];
      let last = '';
      for (let i = 0; i < REQUESTS; i++) {
        const r = await get(query);
        times.push(r.ms);
        last = r.body;
      }
      return { times: times.sort((a, b) => a - b), last };
    };
    const now = await timed('');
    const audit = JSON.parse(now.last) as { institutions: unknown[]; totals: Record<string, string>[] };
    const totals = audit.totals.find((x) => x.currency === 'CNY')!;
    const csv = await get('?format=csv');
    process.stdout.write(
      `GET /audit/districts/${AUDITED} x${REQUESTS}: ${audit.institutions.length} institutions, obligations ${totals.obligations}, ` +
        `bank cash ${totals.bankCash}, coverage ${totals.coverage} | p50 ${round(percentile(now.times, 50))} ms, p99 ${round(percentile(now.times, 99))} ms | CSV ${round(csv.ms)} ms\n`,
    );
    // A past day: yesterday 12:30 China time (half an hour from the nearest checkpoint, the
    // worst case within the kept week) and, for the city, 20 days ago at noon (older than the
    // checkpoints: half a day from the nearest daily close, the worst case there).
    const pastAudit = async (daysAgo: number, time: string) => {
      const at = new Date(`${addDaysTo(chinaDate(new Date()), -daysAgo)}T${time}+08:00`).toISOString();
      const r = await timed(`?asOf=${at}`);
      const t = (JSON.parse(r.last) as { totals: Record<string, string>[] }).totals.find((x) => x.currency === 'CNY');
      process.stdout.write(`GET /audit/districts/${AUDITED}?asOf=${at} x${REQUESTS}: obligations ${t?.obligations} | p50 ${round(percentile(r.times, 50))} ms, p99 ${round(percentile(r.times, 99))} ms\n`);
      return r;
    };
    const past = await pastAudit(1, CITY ? '12:30:00' : '12:00:00');
    const old = HISTORY_DAYS > 20 ? await pastAudit(20, '12:00:00') : null;
    const line: Record<string, unknown> = CITY ? { bench: 'audit', shape: 'city' } : { bench: 'audit' };
    Object.assign(line, {
      institutions: audit.institutions.length,
      contracts: CONTRACTS,
      p50_ms: round(percentile(now.times, 50)),
      p99_ms: round(percentile(now.times, 99)),
      asof_p99_ms: round(percentile(past.times, 99)),
      ...(old ? { asof_old_p99_ms: round(percentile(old.times, 99)) } : {}),
      ...(seedS === null ? {} : { seed_s: seedS }),
      ...(closeS === null ? {} : { day_close_s: closeS, checkpoints_s: checkpointS, postings_since_checkpoint: sinceCheckpoint }),
    });
    process.stdout.write(`${JSON.stringify(withBaseline(line, baseline))}\n`);
  } finally {
    await app.close();
    await db.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
