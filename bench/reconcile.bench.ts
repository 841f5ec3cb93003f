import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { benchBankSecretKeys, benchBaseline, benchDatabase, percentile, round } from './bench-support';
import { withBaseline } from './pgbench-baseline';
import { BenchFormat, camtFile, mt940File } from './reconcile-files';
import { deleteRedisPrefix, peakRssMb, Service, signer, startService } from './reconcile-processes';
import { seedPlatform, statementsOf } from './reconcile-seed';

/**
 * npm run bench:reconcile [-- --format mt940 --accounts 20 --lines 1000 ...] — 1,000,000 statement
 * lines over 1,000 escrow accounts (by default), each matching a platform record seeded in bulk
 * (credits and executed releases) except 1 % left unmatched on purpose, with a ledger that agrees
 * at the balance level. The statement files are POSTed to /bank/statements of a real API process,
 * signed as the bank, and reconciled by real worker processes (ReconcileStatement jobs through the
 * outbox and the queue). Prints the import and reconciliation times, lines/s and the peak RSS
 * (VmHWM) of every process, and ends with one JSON line.
 */
interface Options {
  format: BenchFormat;
  accounts: number;
  lines: number;
  /** Statements per file (camt: `<Stmt>` elements of one document; MT940: messages). */
  perFile: number;
  /** Uploads in flight at once. */
  concurrency: number;
  workers: number;
  /** QUEUE_CONCURRENCY of each worker process. */
  workerConcurrency: number;
  queue: 'postgres' | 'redis';
  day: string;
  /** Start the workers only when every file is imported: the two phases measured apart. */
  workerAfterImport: boolean;
}

const USAGE = `npm run bench:reconcile -- [--format camt053|mt940] [--accounts 1000] [--lines 1000] [--per-file 1] [--concurrency 2]
  [--workers 1] [--worker-concurrency 4] [--queue postgres|redis] [--day 2026-11-30] [--worker-after-import] [--baseline]
Database: BENCH_DATABASE_URL or TEST_DATABASE_URL (a server URL), else an embedded PostgreSQL. Redis: REDIS_URL (default redis://127.0.0.1:6379).
Node options of the service processes: BENCH_SERVICE_NODE_ARGS (e.g. --cpu-prof).`;

function parseArgs(argv: string[]): Options {
  const o: Options = { format: 'camt053', accounts: 1000, lines: 1000, perFile: 1, concurrency: 2, workers: 1, workerConcurrency: 4, queue: 'postgres', day: '2026-11-30', workerAfterImport: false };
  const int = (name: string, v: string | undefined, min: number): number => {
    if (!v || !/^\d+$/.test(v) || Number(v) < min) throw new Error(`${name} needs an integer >= ${min}\n${USAGE}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--format') {
      const f = next();
      if (f !== 'camt053' && f !== 'mt940' && f !== 'camt') throw new Error(`--format camt053 or mt940\n${USAGE}`);
      o.format = f === 'mt940' ? 'mt940' : 'camt053';
    } else if (a === '--mt940') o.format = 'mt940';
    else if (a === '--accounts') o.accounts = int(a, next(), 1);
    else if (a === '--lines') o.lines = int(a, next(), 1);
    else if (a === '--per-file') o.perFile = int(a, next(), 1);
    else if (a === '--concurrency') o.concurrency = int(a, next(), 1);
    else if (a === '--workers') o.workers = int(a, next(), 1);
    else if (a === '--worker-concurrency') o.workerConcurrency = int(a, next(), 1);
    else if (a === '--queue') {
      const q = next();
      if (q !== 'postgres' && q !== 'redis') throw new Error(`--queue postgres or redis\n${USAGE}`);
      o.queue = q;
    } else if (a === '--redis') o.queue = 'redis';
    else if (a === '--day') {
      const d = next();
      if (!/^\d{4}-\d{2}-\d{2}$/.test(d ?? '')) throw new Error(`--day YYYY-MM-DD\n${USAGE}`);
      o.day = d;
    } else if (a === '--worker-after-import') o.workerAfterImport = true;
    else if (a === '--baseline') continue; // read by benchBaseline
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

const OPENING = '1000000.00';
const BANK = 'BENCH-BANK';

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const db = await benchDatabase(process.env);
  const baseline = await benchBaseline(db);
  const dir = mkdtempSync(join(tmpdir(), 'escrow-recon-bench-'));
  const services: Service[] = [];
  const queuePrefix = `rb${randomBytes(3).toString('hex')}`;
  const redisUrl = o.queue === 'redis' ? (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : '';
  const c = new Client({ connectionString: db.url });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const totalLines = o.accounts * o.lines;
    process.stdout.write(`bench:reconcile on ${db.where}: ${totalLines} ${o.format} lines over ${o.accounts} escrow accounts (${o.lines} each), statement day ${o.day}\n`);

    let t = Date.now();
    const world = await seedPlatform(c, { accounts: o.accounts, lines: o.lines, day: o.day, bankCode: BANK, opening: OPENING });
    process.stdout.write(`seed: ${world.credits} bank credits, ${world.releases} executed releases, ${world.unmatched} lines left without a record, ledger per account, in ${round((Date.now() - t) / 1000)} s\n`);

    t = Date.now();
    const files: string[] = [];
    let bytes = 0;
    for (let from = 1; from <= o.accounts; from += o.perFile) {
      const statements = await statementsOf(c, from, Math.min(o.accounts, from + o.perFile - 1), OPENING);
      const ctx = { day: o.day, fileNo: files.length + 1 };
      const text = o.format === 'camt053' ? camtFile(statements, ctx) : mt940File(statements, ctx);
      const path = join(dir, `${ctx.fileNo}.${o.format === 'camt053' ? 'xml' : 'sta'}`);
      writeFileSync(path, text);
      bytes += Buffer.byteLength(text);
      files.push(path);
    }
    await c.query(`DROP TABLE bench_lines`);
    process.stdout.write(`files: ${files.length} ${o.format} files (${o.perFile} statement(s) each), ${round(bytes / 1024 / 1024)} MB, written in ${round((Date.now() - t) / 1000)} s\n`);

    const common = {
      DATABASE_URL: db.url,
      BANK_SECRET_KEYS: benchBankSecretKeys(process.env),
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: queuePrefix,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DOCS_ENABLED: 'false',
      SCHEDULER_ENABLED: 'false',
      RATE_LIMIT_PER_MINUTE: '100000000',
      STATEMENT_MAX_BYTES: String(512 * 1024 * 1024),
    };
    // The API first: its boot seals the bank's plaintext secret, which the workers then open.
    const api = await startService('api', { ...common, PROCESS_ROLE: 'api', DATABASE_POOL_SIZE: String(Math.max(4, o.concurrency + 2)) });
    services.push(api);
    const startWorkers = async () => {
      for (let i = 0; i < o.workers; i++) {
        services.push(await startService(`worker ${i + 1}`, { ...common, PROCESS_ROLE: 'worker', QUEUE_CONCURRENCY: String(o.workerConcurrency), DATABASE_POOL_SIZE: String(o.workerConcurrency + 4) }));
      }
    };
    if (!o.workerAfterImport) await startWorkers();
    const reconciliation = (await c.query(`SELECT to_regclass('reconciliation_runs') IS NOT NULL AS present`)).rows[0].present as boolean;
    process.stdout.write(
      `service: API ${api.base} (pid ${api.child.pid}), ${o.workers} worker process(es) x ${o.workerConcurrency} jobs on the ${o.queue} queue${o.workerAfterImport ? ' (started after the import)' : ''}` +
        `${reconciliation ? '' : '; reconciliation_runs does not exist yet: import only'}\n`,
    );

    // Import: every file POSTed, signed as the bank, `concurrency` at a time.
    const sign = signer(world.bankSecret);
    const contentType = o.format === 'camt053' ? 'application/xml' : 'text/plain';
    const latencies: number[] = [];
    let statements = 0;
    let next = 0;
    let done = 0;
    const importStart = Date.now();
    const upload = async () => {
      for (let i = next++; i < files.length; i = next++) {
        const body = readFileSync(files[i]);
        const id = `bench-stmt-${i + 1}`;
        const at = new Date();
        const s = process.hrtime.bigint();
        const res = await fetch(`${api.base}/bank/statements`, {
          method: 'POST',
          body,
          headers: {
            authorization: `Bearer ${world.bankKey}`,
            'content-type': contentType,
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': sign(id, at, body),
          },
        });
        const text = await res.text();
        latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
        if (res.status !== 201) throw new Error(`file ${files[i]} answered ${res.status}: ${text.slice(0, 500)}`);
        const result = JSON.parse(text) as { statements: { consistent: boolean }[] };
        if (result.statements.some((x) => !x.consistent)) throw new Error(`file ${files[i]}: a statement was flagged inconsistent`);
        statements += result.statements.length;
        done += 1;
        if (files.length >= 20 && done % Math.ceil(files.length / 10) === 0) {
          process.stdout.write(`  imported ${done}/${files.length} files (${round((Date.now() - importStart) / 1000)} s)\n`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, files.length) }, upload));
    const importS = (Date.now() - importStart) / 1000;
    latencies.sort((a, b) => a - b);
    const [{ entries }] = (await c.query(`SELECT count(*)::int AS entries FROM bank_statement_entries`)).rows;
    process.stdout.write(
      `import: ${statements} statements, ${entries} entries stored in ${round(importS)} s (${Math.round(totalLines / importS)} lines/s); ` +
        `per file p50 ${round(percentile(latencies, 50))} ms, p99 ${round(percentile(latencies, 99))} ms, max ${round(latencies[latencies.length - 1] ?? 0)} ms\n`,
    );
    if (entries !== totalLines) throw new Error(`expected ${totalLines} stored entries, found ${entries}`);

    // Reconciliation: wait until every statement has its run.
    let reconcileS: number | null = null;
    let exceptions: number | null = null;
    let failed = false;
    if (reconciliation) {
      if (o.workerAfterImport) await startWorkers();
      const waitStart = Date.now();
      let lastReport = waitStart;
      for (;;) {
        const [{ runs }] = (await c.query(`SELECT count(*)::int AS runs FROM reconciliation_runs`)).rows;
        if (runs >= statements) break;
        if (Date.now() - lastReport >= 5000) {
          lastReport = Date.now();
          process.stdout.write(`  reconciled ${runs}/${statements} statements (${round((Date.now() - waitStart) / 1000)} s after the import)\n`);
        }
        if (Date.now() - waitStart > 1_800_000) throw new Error(`only ${runs} of ${statements} statements reconciled in 30 minutes`);
        await new Promise((r) => setTimeout(r, 200));
      }
      reconcileS = (Date.now() - waitStart) / 1000;
      const [span] = (
        await c.query(`SELECT extract(epoch FROM max(created_at) - min(created_at))::float8 AS span, sum(matched_lines)::bigint::text AS matched FROM reconciliation_runs`)
      ).rows;
      const byType: { type: string; n: number }[] = (await c.query(`SELECT type, count(*)::int AS n FROM reconciliation_exceptions GROUP BY type ORDER BY type`)).rows;
      exceptions = byType.reduce((s, r) => s + r.n, 0);
      const missing = byType.find((r) => r.type === 'MISSING_IN_LEDGER')?.n ?? 0;
      const days: { status: string; n: number }[] = (await c.query(`SELECT status, count(*)::int AS n FROM reconciliation_account_days GROUP BY status ORDER BY status`)).rows;
      process.stdout.write(
        `reconcile: ${statements} runs, ${span.matched} lines matched, done ${round(reconcileS)} s after the import (runs started over ${round(span.span ?? 0)} s); ` +
          `exceptions ${byType.map((r) => `${r.type} ${r.n}`).join(', ') || 'none'}; account-days ${days.map((r) => `${r.status} ${r.n}`).join(', ')}\n`,
      );
      failed = missing !== world.unmatched || exceptions !== world.unmatched;
      process.stdout.write(`check: ${world.unmatched} lines left without a record, ${missing} MISSING_IN_LEDGER, ${exceptions} exceptions in all: ${failed ? 'FAILED' : 'ok'}\n`);
    }

    const rss: { name: string; mb: number | null }[] = [{ name: 'bench', mb: peakRssMb(process.pid) }, ...services.map((s) => ({ name: `${s.name} (pid ${s.child.pid})`, mb: peakRssMb(s.child.pid!) }))];
    // The JSON gives the largest process (the aim is per process: a big file must not need its size in heap); the sum is printed too.
    const peakMax = Math.max(...rss.map((r) => r.mb ?? 0));
    const peakSum = round(rss.reduce((s, r) => s + (r.mb ?? 0), 0));
    process.stdout.write(`peak RSS (VmHWM): ${rss.map((r) => `${r.name} ${r.mb ?? '?'} MB`).join(', ')}; largest ${peakMax} MB, sum ${peakSum} MB (PostgreSQL not counted)\n`);
    const wall = importS + (reconcileS ?? 0);
    process.stdout.write(
      `${JSON.stringify(withBaseline({
        bench: 'reconcile',
        format: o.format,
        lines: totalLines,
        exceptions,
        import_s: round(importS),
        reconcile_s: reconcileS === null ? null : round(reconcileS),
        lines_per_s: Math.round(totalLines / wall),
        peak_rss_mb: peakMax,
      }, baseline))}\n`,
    );
    if (failed) process.exitCode = 1;
  } finally {
    for (const s of services.reverse()) await s.stop().catch(() => undefined);
    await c.end().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    if (redisUrl) await deleteRedisPrefix(redisUrl, queuePrefix).catch(() => undefined);
    await db.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
