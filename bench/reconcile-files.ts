import type { StatementData, StatementLine } from './reconcile-seed';

/**
 * Statement files for bench:reconcile as a custody bank writes them: camt.053.001.08 (several
 * `<Stmt>` in one document when asked) and SWIFT MT940 (one message per statement, decimal
 * comma). Every line quotes the bank transaction id; a release's line also quotes its
 * end-to-end reference (camt `EndToEndId`, MT940 the account owner's reference before `//`).
 */
export type BenchFormat = 'camt053' | 'mt940';

export interface FileContext {
  /** Statement day, YYYY-MM-DD. */
  day: string;
  /** Unique per file: message ids and statement references. */
  fileNo: number;
}

const xmlBalance = (code: string, amount: string, day: string) =>
  `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>${day}</Dt></Dt></Bal>`;

function camtEntry(l: StatementLine, day: string): string {
  const family = l.direction === 'CRDT' ? 'RCDT' : 'ICDT';
  const info = l.direction === 'CRDT' ? `TUITION ${l.ref}` : `ESCROW RELEASE ${l.e2e ?? l.ref}`;
  return (
    `<Ntry><NtryRef>${l.line}</NtryRef><Amt Ccy="CNY">${l.amount}</Amt><CdtDbtInd>${l.direction}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>` +
    `<BookgDt><DtTm>${day}T10:30:00+08:00</DtTm></BookgDt><ValDt><Dt>${day}</Dt></ValDt><AcctSvcrRef>${l.ref}</AcctSvcrRef>` +
    `<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>${family}</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>` +
    `<NtryDtls><TxDtls><Refs><AcctSvcrRef>${l.ref}</AcctSvcrRef><EndToEndId>${l.e2e ?? 'NOTPROVIDED'}</EndToEndId><TxId>${l.ref}</TxId></Refs>` +
    `<Amt Ccy="CNY">${l.amount}</Amt><CdtDbtInd>${l.direction}</CdtDbtInd><RmtInf><Ustrd>${info}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n`
  );
}

function camtStatement(s: StatementData, ctx: FileContext): string {
  const head =
    `<Stmt><Id>BENCH-${ctx.fileNo}-${s.k}</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>${ctx.day}T23:59:00+08:00</CreDtTm>` +
    `<Acct><Id><Othr><Id>${s.accountNumber}</Id></Othr></Id><Ccy>CNY</Ccy></Acct>` +
    `${xmlBalance('OPBD', s.opening, ctx.day)}${xmlBalance('CLBD', s.closing, ctx.day)}\n`;
  return head + s.lines.map((l) => camtEntry(l, ctx.day)).join('') + '</Stmt>\n';
}

export function camtFile(statements: StatementData[], ctx: FileContext): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">\n<BkToCstmrStmt>\n` +
    `<GrpHdr><MsgId>BENCH-MSG-${ctx.fileNo}</MsgId><CreDtTm>${ctx.day}T23:59:00+08:00</CreDtTm><MsgPgntn><PgNb>1</PgNb><LastPgInd>true</LastPgInd></MsgPgntn></GrpHdr>\n` +
    statements.map((s) => camtStatement(s, ctx)).join('') +
    `</BkToCstmrStmt>\n</Document>\n`
  );
}

/** `2026-11-30` → `261130`. */
const yymmdd = (day: string) => day.slice(2, 4) + day.slice(5, 7) + day.slice(8, 10);
/** SWIFT amounts: decimal comma. */
const swift = (amount: string) => amount.replace('.', ',');

function mt940Message(s: StatementData, ctx: FileContext): string {
  const d = yymmdd(ctx.day);
  const out = [`:20:BENCH${ctx.fileNo}-${s.k}`.slice(0, 20), `:25:${s.accountNumber}`, ':28C:1/1', `:60F:C${d}CNY${swift(s.opening)}`];
  for (const l of s.lines) {
    const mark = l.direction === 'CRDT' ? 'C' : 'D';
    out.push(`:61:${d}${d.slice(2)}${mark}${swift(l.amount)}NTRF${l.e2e ?? 'NONREF'}//${l.ref}`);
    out.push(l.direction === 'CRDT' ? `:86:/PURP/TUITION ${l.ref}` : `:86:/PURP/ESCROW RELEASE ${l.e2e ?? l.ref}`);
  }
  out.push(`:62F:C${d}CNY${swift(s.closing)}`, '-');
  return out.join('\n') + '\n';
}

export function mt940File(statements: StatementData[], ctx: FileContext): string {
  return statements.map((s) => mt940Message(s, ctx)).join('');
}
