import { spawn } from 'node:child_process';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import { loadConfig } from '@config/load-config';
import { DatabaseUrl } from '@infra/database/database-url';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { QueueService } from '@infra/queues/queue.service';
import { newWebhookSecret } from '@modules/banks/banks.service';
import { benchBankSecretKeys, benchBaseline, benchDatabase, round } from './bench-support';
import { PgbenchBaseline, withBaseline } from './pgbench-baseline';

/**
 * npm run bench:webhooks — 10,000 settlement instructions (over 100 escrow accounts) delivered as
 * signed webhooks to a local receiver (a separate process answering 200), by in-process workers,
 * on the PostgreSQL queue backend and (when REDIS_URL is set) on Redis. Ends with one JSON line.
 */
const INSTRUCTIONS = Number(process.env.BENCH_INSTRUCTIONS ?? 10_000);
const ACCOUNTS = 100;
const CONCURRENCY = String(process.env.BENCH_CONCURRENCY ?? 64);

function startReceiver(): Promise<{ url: string; stop: () => void }> {
  const code = `require('http').createServer((q, s) => { q.resume(); q.on('end', () => s.writeHead(200, {'content-type':'application/json'}).end('{"ok":true}')); })
    .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ url: `http://127.0.0.1:${d.toString().trim()}/webhooks`, stop: () => child.kill() }));
  });
}

async function seed(url: string, webhookUrl: string): Promise<string[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query(`INSERT INTO banks (code, name, webhook_url, secrets) VALUES ('ICBC-SH', 'ICBC', $1, ARRAY[$2])`, [webhookUrl, newWebhookSecret()]);
  await c.query(`
    INSERT INTO institutions (id, name, uscc, district_code, category, profit_type, address, legal_representative, contact_name, contact_phone, basic_account_bank, basic_account_number)
    SELECT gen_random_uuid(), '机构' || i, 'W' || lpad(i::text, 17, '0'), '310117', 'subject', 'for_profit', '地址', '法人', '联系人', '13800000000', 'BOC-SH', '62' || lpad(i::text, 10, '0')
      FROM generate_series(1, $1) i`, [ACCOUNTS]);
  await c.query(`INSERT INTO escrow_accounts (institution_id, bank_code, account_number, account_name, mode, agreement_reference)
                 SELECT id, 'ICBC-SH', 'E' || uscc, name, 'full_custody', 'AGR' FROM institutions`);
  // Release movements as money-movements writes them: kind, end-to-end reference, source and both sides' snapshots.
  const rows: { id: string }[] = (
    await c.query(`
      INSERT INTO settlement_instructions (kind, escrow_account_id, institution_id, amount, currency, end_to_end_ref, source_ref, district_code,
                                           escrow_bank_code, escrow_account_number, escrow_account_name, payee_bank, payee_account_number, payee_account_name)
      SELECT 'release', e.id, e.institution_id, 1.00 + (n % 100), 'CNY', 'EM' || lpad(upper(to_hex(n)), 14, '0'), 'bench.' || n, i.district_code,
             e.bank_code, e.account_number, e.account_name, i.basic_account_bank, i.basic_account_number, i.name
        FROM generate_series(1, $1) n
        JOIN (SELECT id, institution_id, bank_code, account_number, account_name, row_number() OVER () - 1 AS k FROM escrow_accounts) e ON e.k = n % $2
        JOIN institutions i ON i.id = e.institution_id
      RETURNING id`, [INSTRUCTIONS, ACCOUNTS])
  ).rows;
  await c.end();
  return rows.map((r) => r.id);
}

async function runOn(backend: 'postgres' | 'redis', onDatabase?: (db: Awaited<ReturnType<typeof benchDatabase>>) => Promise<void>): Promise<number> {
  const db = await benchDatabase(process.env);
  await onDatabase?.(db);
  const receiver = await startReceiver();
  try {
    const ids = await seed(db.url, receiver.url);
    const config = loadConfig({
      DATABASE_URL: db.url,
      BANK_SECRET_KEYS: benchBankSecretKeys(process.env),
      ...(backend === 'redis' ? { REDIS_URL: process.env.REDIS_URL! } : {}),
      QUEUE_PREFIX: `wb${Date.now() % 100000}`,
      PROCESS_ROLE: 'worker',
      SCHEDULER_ENABLED: 'false',
      LOG_LEVEL: 'error',
      QUEUE_CONCURRENCY: CONCURRENCY,
      DATABASE_POOL_SIZE: '40',
      DOCS_ENABLED: 'false',
    });
    const app = await NestFactory.createApplicationContext(AppModule.register(config, new DatabaseUrl(db.url, false)), { logger: ['error'] });
    await app.init();
    const probe = new Client({ connectionString: db.url });
    await probe.connect();
    try {
      const started = Date.now();
      const queues = app.get(QueueService);
      for (let i = 0; i < ids.length; i += 1000) {
        await queues.addBulk(ids.slice(i, i + 1000).map((id) => ({ name: JobName.SettlementInstructionCreated, payload: { instructionId: id }, jobId: jobId('instruction', id) })));
      }
      let done = 0;
      while (done < ids.length) {
        await new Promise((r) => setTimeout(r, 200));
        done = (await probe.query(`SELECT count(*)::int AS n FROM settlement_instructions WHERE state = 'acknowledged'`)).rows[0].n;
        if (Date.now() - started > 600_000) throw new Error(`only ${done} delivered in 10 minutes`);
      }
      const seconds = (Date.now() - started) / 1000;
      const [{ attempts }] = (await probe.query(`SELECT count(*)::int AS attempts FROM settlement_delivery_attempts`)).rows;
      const perS = ids.length / seconds;
      process.stdout.write(`${backend.padEnd(8)} ${ids.length} instructions acknowledged in ${round(seconds)} s: ${Math.round(perS)} deliveries/s (${attempts} attempts recorded, concurrency ${CONCURRENCY})\n`);
      return perS;
    } finally {
      await probe.end();
      await app.close();
    }
  } finally {
    receiver.stop();
    await db.drop();
  }
}

async function main() {
  process.stdout.write(`bench:webhooks: ${INSTRUCTIONS} signed settlement webhooks to a local receiver\n`);
  let baseline: PgbenchBaseline | null = null;
  const postgres = await runOn('postgres', async (db) => {
    baseline = await benchBaseline(db);
  });
  const redis = process.env.REDIS_URL ? await runOn('redis') : null;
  if (redis === null) process.stdout.write('redis    skipped: REDIS_URL is not set\n');
  process.stdout.write(`${JSON.stringify(withBaseline({ bench: 'webhooks', postgres_per_s: Math.round(postgres), redis_per_s: redis === null ? null : Math.round(redis) }, baseline))}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
