import { createReadStream, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { openStatementStream } from '@modules/statements/parsers';
import { collectStatements, ParsedStatement, StatementFormat } from '@modules/statements/statement.model';

/** The real bank files of `<repo>/../shared/fixtures/statements/` (see its README for the checked figures). */
export const SHARED_STATEMENTS = resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'statements');

export function sharedFile(name: string): string {
  if (!existsSync(SHARED_STATEMENTS)) {
    throw new Error(`The shared statement fixtures are missing: expected the folder ${SHARED_STATEMENTS} (shared/fixtures/statements beside the repository)`);
  }
  const path = join(SHARED_STATEMENTS, name);
  if (!existsSync(path)) throw new Error(`Shared statement fixture ${path} is missing`);
  return path;
}

export async function parseFile(name: string): Promise<{ format: StatementFormat; statements: ParsedStatement[] }> {
  const { format, events } = await openStatementStream(createReadStream(sharedFile(name), { highWaterMark: 4096 }));
  return { format, statements: await collectStatements(events) };
}

export async function parseText(text: string, chunk = 7): Promise<{ format: StatementFormat; statements: ParsedStatement[] }> {
  // Small chunks on purpose: every boundary case of the stream readers gets exercised.
  const pieces: Buffer[] = [];
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk));
  const { format, events } = await openStatementStream(Readable.from(pieces));
  return { format, statements: await collectStatements(events) };
}

/** A camt.053 document of the given version with the given `<Stmt>` bodies. */
export function camtDocument(stmts: string[], version = '08', prefix = ''): string {
  const p = prefix ? `${prefix}:` : '';
  const ns = `urn:iso:std:iso:20022:tech:xsd:camt.053.001.${version}`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${p}Document xmlns${prefix ? `:${prefix}` : ''}="${ns}">\n<${p}BkToCstmrStmt>\n<${p}GrpHdr><${p}MsgId>M1</${p}MsgId><${p}CreDtTm>2026-11-23T06:00:00</${p}CreDtTm></${p}GrpHdr>\n${stmts.join('\n')}\n</${p}BkToCstmrStmt>\n</${p}Document>\n`;
}

export interface CamtEntry {
  amount: string;
  dir: 'CRDT' | 'DBIT';
  reversal?: boolean;
  ref?: string;
  e2e?: string;
  status?: 'text' | 'code';
}

/** One `<Stmt>` (CNY unless told) with OPBD/CLBD balances and the entries given. */
export function camtStatement(o: { id: string; account: string; currency?: string; opening: string; closing: string; closingDir?: 'CRDT' | 'DBIT'; day?: string; entries: CamtEntry[]; prefix?: string }): string {
  const p = o.prefix ? `${o.prefix}:` : '';
  const ccy = o.currency ?? 'CNY';
  const day = o.day ?? '2026-11-22';
  const bal = (code: string, amount: string, dir: string) =>
    `<${p}Bal><${p}Tp><${p}CdOrPrtry><${p}Cd>${code}</${p}Cd></${p}CdOrPrtry></${p}Tp><${p}Amt Ccy="${ccy}">${amount}</${p}Amt><${p}CdtDbtInd>${dir}</${p}CdtDbtInd><${p}Dt><${p}Dt>${day}</${p}Dt></${p}Dt></${p}Bal>`;
  const ntry = (e: CamtEntry) =>
    `<${p}Ntry><${p}Amt Ccy="${ccy}">${e.amount}</${p}Amt><${p}CdtDbtInd>${e.dir}</${p}CdtDbtInd>${e.reversal ? `<${p}RvslInd>true</${p}RvslInd>` : ''}` +
    (e.status === 'text' ? `<${p}Sts>BOOK</${p}Sts>` : `<${p}Sts><${p}Cd>BOOK</${p}Cd></${p}Sts>`) +
    `<${p}BookgDt><${p}DtTm>${day}T10:00:00+08:00</${p}DtTm></${p}BookgDt><${p}ValDt><${p}Dt>${day}</${p}Dt></${p}ValDt>` +
    `<${p}AcctSvcrRef>${e.ref ?? 'BANKREF'}</${p}AcctSvcrRef><${p}NtryDtls><${p}TxDtls><${p}Refs><${p}EndToEndId>${e.e2e ?? 'NOTPROVIDED'}</${p}EndToEndId><${p}TxId>TX-${e.ref ?? 'x'}</${p}TxId></${p}Refs></${p}TxDtls></${p}NtryDtls></${p}Ntry>`;
  return (
    `<${p}Stmt><${p}Id>${o.id}</${p}Id><${p}ElctrncSeqNb>1</${p}ElctrncSeqNb><${p}Acct><${p}Id><${p}Othr><${p}Id>${o.account}</${p}Id></${p}Othr></${p}Id><${p}Ccy>${ccy}</${p}Ccy></${p}Acct>` +
    `${bal('OPBD', o.opening, 'CRDT')}${bal('CLBD', o.closing, o.closingDir ?? 'CRDT')}\n${o.entries.map(ntry).join('\n')}\n</${p}Stmt>`
  );
}

/** One MT940 message (CNY unless told): entries as `:61:` lines after the value date. */
export function mt940Message(o: { ref: string; account: string; currency?: string; opening: string; closing: string; entries: string[]; seq?: string }): string {
  const ccy = o.currency ?? 'CNY';
  return [`:20:${o.ref}`, `:25:${o.account}`, `:28C:${o.seq ?? '1/1'}`, `:60F:C261121${ccy}${o.opening}`, ...o.entries, `:62F:C261122${ccy}${o.closing}`, '-'].join('\n');
}
