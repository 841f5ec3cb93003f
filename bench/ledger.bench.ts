import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module';
import { Money } from '@common/money/money';
import { loadConfig } from '@config/load-config';
import { DatabaseUrl } from '@infra/database/database-url';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LedgerOwner } from '@modules/ledger/ledger.types';
import { benchBankSecretKeys, benchBaseline, benchDatabase, percentile, round } from './bench-support';
import { withBaseline } from './pgbench-baseline';

/**
 * npm run bench:ledger — the path production uses: every transfer is a `LedgerService.release`
 * inside its caller's own database transaction (BEGIN, posting, COMMIT), 16 concurrent
 * callers, no HTTP. Each release moves contract held → institution unsettled (2 postings).
 * 10,000 contract accounts. Shape "spread": into the contract's own institution (100 of them).
 * Shape "hot": every transfer into one institution. Ends with one JSON line.
 * BENCH_SECONDS (default 10), BENCH_WRITERS (16) and BENCH_CONTRACTS (10000) shorten a smoke run.
 */
const CONTRACTS = Number(process.env.BENCH_CONTRACTS ?? 10_000);
const INSTITUTIONS = 100;
const WRITERS = Number(process.env.BENCH_WRITERS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

/** Runs `task(i)` for i in [0, n) with `width` callers at a time. */
async function inParallel(n: number, width: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await task(next++);
  }));
}

async function main() {
  const db = await benchDatabase(process.env);
  const baseline = await benchBaseline(db);
  const config = loadConfig({
    DATABASE_URL: db.url,
    // Required with a database; the ledger never uses it.
    BANK_SECRET_KEYS: benchBankSecretKeys(process.env),
    PROCESS_ROLE: 'api',
    LOG_LEVEL: 'warn',
    DATABASE_POOL_SIZE: '24',
    DOCS_ENABLED: 'false',
  });
  const app = await NestFactory.createApplicationContext(AppModule.register(config, new DatabaseUrl(db.url, false)), { logger: ['error'] });
  const ds = app.get<DataSource>(getDataSourceToken());
  const ledger = app.get(LedgerService);
  try {
    process.stdout.write(`bench:ledger on ${db.where}: seeding ${CONTRACTS} contracts in ${INSTITUTIONS} institutions + 1 hot institution...\n`);
    const escrowAccountId = randomUUID();
    const institutions = Array.from({ length: INSTITUTIONS }, () => randomUUID());
    const hotInstitution = randomUUID();
    const contracts: LedgerOwner[] = Array.from({ length: CONTRACTS }, (_, i) => ({
      escrowAccountId,
      institutionId: institutions[i % INSTITUTIONS],
      contractId: randomUUID(),
      currency: 'CNY',
    }));
    // Funding opens each contract's accounts on first use, as a bank credit does.
    const seedAmount = Money.parse('100000.00');
    await inParallel(CONTRACTS, WRITERS, (i) => ds.transaction((m) => ledger.fundContract(m, contracts[i], seedAmount, `seed.${i}`)));
    await ds.transaction((m) => ledger.release(m, { ...contracts[0], institutionId: hotInstitution }, Money.parse('0.01'), 'seed.hot'));
    await ds.query('VACUUM ANALYZE');

    const results: Record<string, { perSecond: number; p50: number; p99: number }> = {};
    for (const shape of ['spread', 'hot'] as const) {
      const latencies: number[] = [];
      let done = 0;
      let failed = 0;
      let seq = 0;
      const deadline = Date.now() + SECONDS * 1000;
      const started = process.hrtime.bigint();
      const writer = async () => {
        while (Date.now() < deadline) {
          const c = contracts[Math.floor(Math.random() * contracts.length)];
          const owner = shape === 'hot' ? { ...c, institutionId: hotInstitution } : c;
          const amount = Money.fromMinor(BigInt(1 + Math.floor(Math.random() * 100)));
          const ref = `bench.${shape}.${seq++}`;
          const t0 = process.hrtime.bigint();
          try {
            await ds.transaction((m) => ledger.release(m, owner, amount, ref));
            done += 1;
          } catch {
            failed += 1;
          }
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, writer));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      latencies.sort((a, b) => a - b);
      results[shape] = { perSecond: done / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
      process.stdout.write(
        `${shape.padEnd(6)} ${WRITERS} callers, ${round(seconds)} s: ${done} transfers (${done * 2} postings), ${failed} failed | ` +
          `${Math.round(done / seconds)} transfers/s = ${Math.round((done * 2) / seconds)} postings/s | p50 ${round(results[shape].p50, 2)} ms, p99 ${round(results[shape].p99, 2)} ms\n`,
      );
    }
    const hotOwner = { ...contracts[0], institutionId: hotInstitution };
    const check = await ds.query(`SELECT count(*)::int AS n FROM (SELECT transaction_id FROM ledger_postings GROUP BY transaction_id HAVING sum(amount) <> 0) x`);
    const hotBalance = await ledger.balanceOf('institution_unsettled', hotOwner);
    const hotSum = await ds.query(
      `SELECT (-sum(p.amount))::text AS s FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id WHERE a.institution_id = $1 AND a.type = 'institution_unsettled'`,
      [hotInstitution],
    );
    process.stdout.write(`checks: unbalanced transactions ${check[0].n}; hot account balance ${hotBalance} = sum of its postings ${hotSum[0].s}: ${hotBalance.toString() === hotSum[0].s}\n`);
    process.stdout.write(
      `${JSON.stringify(
        withBaseline(
          {
            bench: 'ledger',
            spread_per_s: Math.round(results.spread.perSecond),
            hot_per_s: Math.round(results.hot.perSecond),
            p99_ms: round(Math.max(results.spread.p99, results.hot.p99), 2),
          },
          baseline,
        ),
      )}\n`,
    );
  } finally {
    await app.close();
    await db.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
