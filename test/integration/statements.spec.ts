import { Webhook } from 'standardwebhooks';
import { BanksService } from '@modules/banks/banks.service';
import { school } from '../support/contract-fixtures';
import { ensureBank } from '../support/register-fixtures';
import { camtDocument, camtStatement, mt940Message } from '../support/statement-fixtures';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/spawn-service';
import { startTestApp, TEST_BANK_SECRET_KEYS, TestApp, TestResponse } from '../support/test-app';

/**
 * Statements in (issue 13): a custody bank's signed upload of a statement file, stored with its
 * raw bytes, idempotent on the file, refused whole (nothing stored) for another bank's account or
 * another currency, flagged when its arithmetic fails, superseded by a correction.
 */

const MAX_BYTES = 64 * 1024;
const TABLES = ['bank_statement_files', 'bank_statement_file_chunks', 'bank_statements', 'bank_statement_entries'];

describe('bank statements', () => {
  let t: TestApp;
  let s: Awaited<ReturnType<typeof school>>;
  let icbc: { key: string; secret: string };
  let boc: { key: string; secret: string };
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp({ env: { STATEMENT_MAX_BYTES: String(MAX_BYTES), RATE_LIMIT_PER_MINUTE: '100000' } });
    s = await school(t);
    icbc = { key: await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' }), secret: (await t.app.get(BanksService).deliveryTarget('ICBC-SH'))!.secrets[0] };
    boc = { secret: await ensureBank(t, 'BOC-SH'), key: await t.createKey({ role: 'bank', bankCode: 'BOC-SH' }) };
  }, 120_000);
  afterAll(() => t.close());

  const upload = (bank: { key: string; secret: string }, file: string, contentType = 'application/xml', signed = true): Promise<TestResponse> => {
    const id = `stmt-${++seq}`;
    const at = new Date();
    const headers: Record<string, string> = { 'content-type': contentType };
    if (signed) Object.assign(headers, { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(bank.secret).sign(id, at, file) });
    return t.request('POST', '/bank/statements', { key: bank.key, rawBody: file, headers });
  };
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of TABLES) out[table] = (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
    return out;
  };
  const day = (d: string, opening: string, closing: string, entries: Parameters<typeof camtStatement>[0]['entries'], id = `S-${d}`) =>
    camtDocument([camtStatement({ id, account: s.escrow.accountNumber, day: d, opening, closing, entries })]);

  it('stores a CNY camt.053 statement of a real escrow account, with its raw file, and shows it to the bank, admins and the district’s regulators', async () => {
    const file = day('2026-11-22', '1000.00', '1240.50', [
      { amount: '300.00', dir: 'CRDT', ref: 'ICBC-1', e2e: 'EMAAAAAAAAAAAAAA' },
      { amount: '59.50', dir: 'DBIT', ref: 'ICBC-2', e2e: 'EMBBBBBBBBBBBBBB' },
      { amount: '0.00', dir: 'CRDT', ref: 'ICBC-3', reversal: true },
    ]);
    const res = await upload(icbc, file);
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(res.body).toMatchObject({ format: 'camt053', bytes: Buffer.byteLength(file), statements: [{ escrowAccountId: s.escrow.id, currency: 'CNY', statementDate: '2026-11-22', openingBalance: '1000.00', closingBalance: '1240.50', credits: '300.00', debits: '59.50', entries: 3, consistent: true, flag: null, supersedesId: null }] });
    const stored = await t.db.query<{ bytes: Buffer }>(`SELECT bytes FROM bank_statement_file_chunks WHERE file_id = $1 ORDER BY seq`, [res.body.fileId]);
    expect(Buffer.concat(stored.map((r) => r.bytes)).toString('utf8')).toBe(file);

    const id = res.body.statements[0].id;
    const view = await t.request('GET', `/bank/statements/${id}`, { key: icbc.key });
    expect(view.status).toBe(200);
    expect(view.body.entryPage.map((e: { amount: string; direction: string; endToEndId: string | null }) => [e.amount, e.direction, e.endToEndId])).toEqual([
      ['300.00', 'CRDT', 'EMAAAAAAAAAAAAAA'],
      ['59.50', 'DBIT', 'EMBBBBBBBBBBBBBB'],
      ['0.00', 'CRDT', null],
    ]);
    expect((await t.request('GET', `/bank/statements/${id}`, { key: s.r1 })).status).toBe(200);
    expect((await t.request('GET', `/bank/statements/${id}`)).status).toBe(200);
    const elsewhere = await t.createKey({ role: 'regulator', districts: ['110105'] });
    for (const key of [boc.key, elsewhere]) {
      const other = await t.request('GET', `/bank/statements/${id}`, { key });
      expect([other.status, other.body.error.code]).toEqual([404, 'STATEMENT_NOT_FOUND']);
    }
    expect((await t.request('GET', `/bank/statements/${id}`, { key: s.instKey })).status).toBe(403); // not a role of this endpoint
    // Append-only, by the database.
    await expect(t.db.query(`UPDATE bank_statements SET credits = 0 WHERE id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(t.db.query(`DELETE FROM bank_statement_entries WHERE statement_id = $1`, [id])).rejects.toThrow(/append-only/);
  });

  it('the same file sent 10 times at once is stored once; every answer is the first one (201, Idempotent-Replayed on repeats)', async () => {
    const file = mt940Message({ ref: 'MT-1123', account: s.escrow.accountNumber, opening: '1240,50', closing: '1140,50', entries: [':61:2611221122D100,NTRFEMCCCCCCCCCCCCCC//ICBC-9', ':86:RELEASE EMCCCCCCCCCCCCCC'] }).replace('C261122CNY1140', 'C261123CNY1140');
    const before = await counts();
    const answers = await Promise.all(Array.from({ length: 10 }, () => upload(icbc, file, 'text/plain')));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    const after = await counts();
    expect([after.bank_statement_files - before.bank_statement_files, after.bank_statements - before.bank_statements, after.bank_statement_entries - before.bank_statement_entries]).toEqual([1, 1, 1]);
    expect(answers[0].body.statements[0]).toMatchObject({ statementDate: '2026-11-23', debits: '100.00', closingBalance: '1140.50' });
  });

  it('refuses with nothing stored: another bank’s account (404), another currency (422), even when other statements of the file are fine', async () => {
    const before = await counts();
    const good = camtStatement({ id: 'OK', account: s.escrow.accountNumber, day: '2026-11-24', opening: '1.00', closing: '1.00', entries: [] });
    const notOurs = await upload(boc, camtDocument([good]));
    expect([notOurs.status, notOurs.body.error.code, notOurs.body.error.details.accountNumber]).toEqual([404, 'ESCROW_ACCOUNT_NOT_FOUND', s.escrow.accountNumber]);
    const euro = camtStatement({ id: 'EUR', account: s.escrow.accountNumber, currency: 'EUR', day: '2026-11-24', opening: '1.00', closing: '1.00', entries: [] });
    const wrong = await upload(icbc, camtDocument([good, euro]));
    expect([wrong.status, wrong.body.error.code, wrong.body.error.details]).toEqual([422, 'STATEMENT_CURRENCY_MISMATCH', expect.objectContaining({ statement: 2, statementCurrency: 'EUR', accountCurrency: 'CNY' })]);
    const unknown = await upload(icbc, camtDocument([good, camtStatement({ id: 'X', account: 'NO-SUCH-ACCOUNT', opening: '1.00', closing: '1.00', entries: [] })]));
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'ESCROW_ACCOUNT_NOT_FOUND']);
    expect(await counts()).toEqual(before);
  });

  it('refuses an unsigned upload (401), an oversized one (413), an unreadable one (400 with where it stopped), all storing nothing', async () => {
    const before = await counts();
    const file = day('2026-11-25', '1.00', '1.00', []);
    const unsigned = await upload(icbc, file, 'application/xml', false);
    expect([unsigned.status, unsigned.body.error.code]).toEqual([401, 'INVALID_SIGNATURE']);
    const forged = await upload({ key: icbc.key, secret: boc.secret }, file);
    expect(forged.status).toBe(401);
    const big = await upload(icbc, `${file}${' '.repeat(MAX_BYTES)}`);
    expect([big.status, big.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const broken = await upload(icbc, file.replace('<Amt Ccy="CNY">1.00</Amt>', '<Amt Ccy="CNY">1,00</Amt>'));
    expect([broken.status, broken.body.error.code, broken.body.error.details.at]).toEqual([400, 'STATEMENT_UNREADABLE', 'Stmt[1]/Bal[1]/Amt']);
    const garbage = await upload(icbc, 'hello world', 'text/plain');
    expect([garbage.status, garbage.body.error.code, garbage.body.error.details.at]).toEqual([400, 'STATEMENT_UNREADABLE', 'line 1']);
    expect(await counts()).toEqual(before);
    // Statement content types are for this route only: elsewhere they stay 415 in the error shape.
    const elsewhere = await t.request('POST', '/bank/credits', { key: icbc.key, rawBody: 'x', headers: { 'content-type': 'text/plain' } });
    expect([elsewhere.status, elsewhere.body.error.code, elsewhere.body.requestId]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE', elsewhere.headers.get('x-request-id')]);
  });

  it('stores and flags a statement whose opening + entries is not its closing (CSV layout)', async () => {
    const csv = [
      'record_type,statement_id,account,currency,date,amount,direction,value_date,bank_ref,end_to_end_id,details',
      `OPBD,CSV-1,${s.escrow.accountNumber},CNY,2026-11-25,1140.50,CRDT,,,,`,
      `NTRY,CSV-1,${s.escrow.accountNumber},CNY,2026-11-26,10.00,CRDT,2026-11-26,ICBC-20,,"PAYMENT, late"`,
      `CLBD,CSV-1,${s.escrow.accountNumber},CNY,2026-11-26,1150.51,CRDT,,,,`,
    ].join('\n');
    const res = await upload(icbc, csv, 'text/csv');
    expect(res.status).toBe(201);
    expect(res.body.statements[0]).toMatchObject({ consistent: false, flag: 'STATEMENT_INCONSISTENT', computedClosing: '1150.50', closingBalance: '1150.51' });
  });

  it('a corrected statement for the same account and day supersedes the earlier one; both stay visible', async () => {
    const first = await upload(icbc, day('2026-11-27', '1150.51', '1160.51', [{ amount: '10.00', dir: 'CRDT', ref: 'A' }], 'S-27'));
    const corrected = await upload(icbc, day('2026-11-27', '1150.51', '1170.51', [{ amount: '20.00', dir: 'CRDT', ref: 'A' }], 'S-27'));
    expect([first.status, corrected.status]).toEqual([201, 201]);
    const [a, b] = [first.body.statements[0].id, corrected.body.statements[0].id];
    expect(corrected.body.statements[0].supersedesId).toBe(a);
    const old = await t.request('GET', `/bank/statements/${a}`, { key: icbc.key });
    expect([old.status, old.body.supersededById, old.body.credits]).toEqual([200, b, '10.00']);
    const again = await upload(icbc, day('2026-11-27', '1150.51', '1180.51', [{ amount: '30.00', dir: 'CRDT', ref: 'A' }], 'S-27'));
    expect(again.body.statements[0].supersedesId).toBe(b);
  });

  it('npm run cli -- statements:import FILE --bank CODE imports a file as the bank’s upload would (idempotent too)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statements-cli-'));
    try {
      const file = join(dir, 'icbc-2026-11-28.sta');
      writeFileSync(file, mt940Message({ ref: 'CLI-1', account: s.escrow.accountNumber, opening: '1180,51', closing: '1190,51', entries: [':61:2611281128C10,NTRFNONREF//CLI'] }).replace(/C261122CNY1190/, 'C261128CNY1190'));
      const env = { DATABASE_URL: t.db.url, NODE_ENV: 'test', BANK_SECRET_KEYS: TEST_BANK_SECRET_KEYS, LOG_LEVEL: 'warn' };
      const first = await runCli(['statements:import', file, '--bank', 'ICBC-SH'], env);
      expect([first.code, first.stderr]).toEqual([0, '']);
      expect(first.stdout).toMatch(/^Imported mt940 file .*: 1 statement\(s\)\n {2}#1 .* 2026-11-28 CNY: 1 entries, credits 10\.00, debits 0\.00, opening 1180\.51, closing 1190\.51 \[/);
      const again = await runCli(['statements:import', file, '--bank', 'ICBC-SH'], env);
      expect([again.code, again.stdout.split(' ')[0]]).toEqual([0, 'Already']);
      const refused = await runCli(['statements:import', file, '--bank', 'BOC-SH'], env);
      expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('ESCROW_ACCOUNT_NOT_FOUND')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the CLI streams a large file: ~120 MB imports with a 64 MB heap and far less memory than the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statements-big-'));
    const env = { DATABASE_URL: t.db.url, NODE_ENV: 'test', BANK_SECRET_KEYS: TEST_BANK_SECRET_KEYS, LOG_LEVEL: 'warn', NODE_OPTIONS: `--max-old-space-size=64 --require ${join(__dirname, '..', 'support', 'report-max-rss.cjs')}` };
    const peakKb = (stderr: string) => BigInt(/max-rss-kb=(\d+)/.exec(stderr)?.[1] ?? '0');
    try {
      // Few lines, each long (a 16 KiB `details`): the bytes are large, the work per line is not.
      const details = 'x'.repeat(16 * 1024);
      const lines = 7_500;
      const head = 'record_type,statement_id,account,currency,date,amount,direction,value_date,bank_ref,end_to_end_id,details';
      const body = (n: number, ref: string) => {
        const rows = [head, `OPBD,${ref},${s.escrow.accountNumber},CNY,2026-11-29,0.00,CRDT,,,,`];
        for (let i = 1; i <= n; i++) rows.push(`NTRY,${ref},${s.escrow.accountNumber},CNY,2026-11-29,1.00,CRDT,2026-11-29,BIG-${ref}-${i},,${details}`);
        rows.push(`CLBD,${ref},${s.escrow.accountNumber},CNY,2026-11-29,${n}.00,CRDT,,,,`);
        return rows.join('\n');
      };
      const small = join(dir, 'small.csv');
      writeFileSync(small, body(5, 'SMALL'));
      const big = join(dir, 'big.csv');
      writeFileSync(big, body(lines, 'BIG'));
      const a = await runCli(['statements:import', small, '--bank', 'ICBC-SH'], env);
      const b = await runCli(['statements:import', big, '--bank', 'ICBC-SH'], env);
      expect([a.code, b.code, b.stderr.replace(/max-rss-kb=\d+\n/, '')]).toEqual([0, 0, '']);
      expect(b.stdout).toContain(`${lines} entries, credits ${lines}.00`);
      const fileKb = BigInt(Math.round((lines * (details.length + 80)) / 1024));
      const growthKb = peakKb(b.stderr) - peakKb(a.stderr);
      process.stdout.write(`statements: a ${fileKb / 1024n} MB file imported by the CLI with ${growthKb / 1024n} MB more peak RSS than a 5-line one\n`);
      expect(peakKb(a.stderr)).toBeGreaterThan(0n);
      // The heap may not hold the file (64 MB < 117 MB), and neither may anything outside it (buffers).
      expect(growthKb).toBeLessThan(fileKb / 2n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
