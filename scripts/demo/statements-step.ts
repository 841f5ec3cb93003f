import { Money } from '@common/money/money';
import type { Simulator, StatementsSent } from '../bank-simulator';
import { AppliedFault, BookLine, StatementFault, StatementFileFormat } from '../bank-simulator/statement-types';
import { table } from './table';

/**
 * The demo's last act (issue 13): the simulated bank sends the day's statements of every escrow
 * account (camt.053 and MT940 alternately) with one fault of each kind injected on purpose, the
 * service reconciles them in queued jobs, and the regulator's district view must show exactly
 * those faults: a doubled line (DUPLICATE_AT_BANK), a wrong amount (AMOUNT_MISMATCH), a missing
 * line (the platform's record in transit: the bank may book it within the window, after which it
 * is MISSING_AT_BANK) and a statement not sent (the account-day is missing; the scheduled check
 * raises STATEMENT_MISSING after the cut-off). The first account stays clean.
 */
export interface DemoAccount {
  name: string;
  institutionId: string;
  escrowId: string;
  accountNumber: string;
}

type Call = (method: string, path: string, key: string) => Promise<any>;
type FaultType = StatementFault['type'];

const PLAN: (FaultType | null)[] = [null, 'double-line', 'change-amount', 'drop-line', 'skip-statement'];
const LABEL: Record<FaultType | 'none', string> = { none: 'none', 'double-line': 'doubled line', 'change-amount': 'wrong amount', 'drop-line': 'missing line', 'skip-statement': 'statement skipped' };

interface Planned {
  account: DemoAccount;
  format: StatementFileFormat;
  fault: StatementFault | null;
  applied: AppliedFault | null;
}

interface Expected {
  status: string;
  inTransit: string | null;
  exceptions: string[];
}

const signed = (amount: string, direction: BookLine['direction'] | null): Money => (direction === 'DBIT' ? Money.fromDb(amount).negate() : Money.fromDb(amount));

/** The fault an account gets, aimed at a line that exists (a settlement's line where it matters). */
function faultFor(type: FaultType | null, account: string, lines: BookLine[]): StatementFault | null {
  if (!type || (type !== 'skip-statement' && lines.length === 0)) return null;
  const debit = lines.find((l) => l.direction === 'DBIT');
  if (type === 'skip-statement') return { type, account };
  if (type === 'double-line') return { type, account, line: 1 };
  return { type, account, ...(debit ? { reference: debit.endToEndRef! } : { line: lines.length }) };
}

function expected(p: Planned): Expected {
  const a = p.applied;
  if (!a) return { status: 'reconciled', inTransit: null, exceptions: [] };
  if (a.type === 'skip-statement') return { status: 'missing', inTransit: null, exceptions: [] };
  if (a.type === 'drop-line') return { status: 'reconciled_in_transit', inTransit: signed(a.amount!, a.direction).toString(), exceptions: [] };
  return { status: 'broken', inTransit: null, exceptions: [a.type === 'double-line' ? 'DUPLICATE_AT_BANK' : 'AMOUNT_MISMATCH'] };
}

export async function sendStatements(sim: Simulator, accounts: DemoAccount[], day: string): Promise<{ planned: Planned[]; files: StatementsSent[] }> {
  const planned: Planned[] = accounts.map((account, i) => ({
    account,
    format: i % 2 === 0 ? 'camt053' : 'mt940',
    fault: faultFor(PLAN[i % PLAN.length], account.accountNumber, sim.book.lines(account.accountNumber, day)),
    applied: null,
  }));
  const files: StatementsSent[] = [];
  for (const format of ['camt053', 'mt940'] as StatementFileFormat[]) {
    const mine = planned.filter((p) => p.format === format);
    if (!mine.length) continue;
    const sent = await sim.sendStatements({ date: day, format, accounts: mine.map((p) => p.account.accountNumber), faults: mine.flatMap((p) => (p.fault ? [p.fault] : [])) });
    if (sent.status !== null && sent.status !== 201) throw new Error(`the service refused the ${format} statements: HTTP ${sent.status} ${JSON.stringify(sent.response)}`);
    for (const s of sent.statements) planned.find((p) => p.account.accountNumber === s.accountNumber)!.applied = s.faults[0] ?? null;
    files.push(sent);
  }
  return { planned, files };
}

/** Polls the district summary until every statement sent has been reconciled (its account-day is no longer `missing`). */
export async function waitForReconciliation(call: Call, key: string, district: string, day: string, planned: Planned[], timeoutMs = 120_000): Promise<any> {
  const delivered = new Set(planned.filter((p) => p.applied?.type !== 'skip-statement').map((p) => p.account.escrowId));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const summary = await call('GET', `/reconciliation/districts/${district}?date=${day}`, key);
    const done = summary.accounts.filter((a: { escrowAccountId: string; status: string }) => delivered.has(a.escrowAccountId) && a.status !== 'missing').length;
    if (done >= delivered.size || Date.now() > deadline) return summary;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Prints the account-days, the exceptions and the comparison with what was injected; returns whether they agree exactly. */
export async function report(call: Call, key: string, district: string, day: string, planned: Planned[], summary: any): Promise<boolean> {
  const out = (l = '') => process.stdout.write(`${l}\n`);
  const exceptions: any[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: any[]; nextCursor: string | null } = await call('GET', `/reconciliation/exceptions?districtCode=${district}&date=${day}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, key);
    exceptions.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  const byAccount = new Map(planned.map((p) => [p.account.escrowId, p]));
  // The district may hold accounts of earlier demo runs (no statement today): the table shows this run's.
  const mine = summary.accounts.filter((a: any) => byAccount.has(a.escrowAccountId));
  const others = summary.accounts.length - mine.length;
  const name = (escrowId: string) => byAccount.get(escrowId)?.account.name ?? escrowId;

  out(`\nReconciliation of district ${district} on ${day} (statements sent by the bank: ${planned.filter((p) => p.format === 'camt053').length} camt.053, ${planned.filter((p) => p.format === 'mt940').length} MT940):`);
  const rows = mine.map((a: any) => {
    const p = byAccount.get(a.escrowAccountId);
    return [name(a.escrowAccountId), p ? (p.format === 'camt053' ? 'camt.053' : 'MT940') : '-', LABEL[p?.applied?.type ?? 'none'], a.status, a.bankClosing ?? '-', a.ledgerBalance ?? '-', a.inTransit ?? '-', String(a.openExceptions)];
  });
  for (const l of table(['institution', 'format', 'injected fault', 'status', 'bank closing', 'ledger', 'in transit', 'exceptions'], rows, { left: [0, 1, 2, 3] })) out(l);
  const count = (status: string) => mine.filter((a: any) => a.status === status).length;
  out(`by status: reconciled ${count('reconciled')}, reconciled with items in transit ${count('reconciled_in_transit')}, broken ${count('broken')}, missing ${count('missing')}`);
  if (others) out(`(the district has ${others} more escrow accounts, from earlier runs: not shown)`);

  const exRows = exceptions.filter((e) => byAccount.has(e.escrowAccountId)).map((e) => [e.type, name(e.escrowAccountId), e.bankReference ?? e.platformReference ?? '-', e.amount, e.effect, e.state]);
  out(`\nExceptions found (${exRows.length}):`);
  for (const l of exRows.length ? table(['type', 'institution', 'reference', 'amount', 'effect (bank − ledger)', 'state'], exRows, { left: [0, 1, 2, 5] }) : ['(none)']) out(l);

  out('\nInjected on purpose → found:');
  const differences: string[] = [];
  for (const p of planned) {
    const want = expected(p);
    const row = summary.accounts.find((a: any) => a.escrowAccountId === p.account.escrowId);
    const types = exceptions.filter((e) => e.escrowAccountId === p.account.escrowId).map((e) => e.type as string).sort();
    const got: Expected = { status: row?.status ?? 'missing', inTransit: want.inTransit === null ? null : (row?.inTransit ?? null), exceptions: types };
    const a = p.applied;
    const what = !a ? 'no fault' : a.type === 'skip-statement' ? 'statement skipped' : `${LABEL[a.type]} ${a.endToEndRef ?? a.bankTransactionId} ${a.amount}${a.writtenAmount ? ` written ${a.writtenAmount}` : ''}`;
    const found = `${got.status}${got.inTransit ? ` (in transit ${got.inTransit})` : ''}${types.length ? `, ${types.join(', ')}` : ''}`;
    const ok = JSON.stringify(got) === JSON.stringify(want);
    const note = a?.type === 'drop-line' ? ' — MISSING_AT_BANK if the bank has not booked it once the window (RECONCILIATION_WINDOW_DAYS working days) has passed' : a?.type === 'skip-statement' ? ' — STATEMENT_MISSING from the scheduled check after the cut-off' : '';
    out(`  ${ok ? 'ok  ' : 'DIFF'} ${p.account.name}: ${what} → ${found}${note}`);
    if (!ok) differences.push(`${p.account.name}: expected ${JSON.stringify(want)}, found ${JSON.stringify(got)}`);
  }
  out(differences.length ? `\nthe reconciliation did NOT find exactly the injected faults:\n${differences.map((d) => `  ${d}`).join('\n')}` : '\nfound exactly the injected faults');
  return differences.length === 0;
}
