import { createHash } from 'node:crypto';
import { money, totalsOf } from './statement-amounts';
import { BookLine, DailyStatement } from './statement-types';

/**
 * ISO 20022 camt.053.001.08 (pure: statements in, XML text out), one `<Stmt>` per statement, in
 * schema element order. Amounts are the book's decimal strings as they are; balances OPBD and
 * CLBD; each entry has its bank transaction id as `AcctSvcrRef`, and one `TxDtls` whose `Refs`
 * carry the instruction's `EndToEndId` (NOTPROVIDED for a credit) and the bank's `TxId`.
 */
const NS = 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
/** Text for XML: the five entities, and no character XML 1.0 forbids. */
export const xmlText = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ESCAPES[c]).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, ' '); // eslint-disable-line no-control-regex

/** `2026-12-02T13:04:05+08:00`: the bank writes China time. */
export function chinaDateTime(at: Date): string {
  return `${new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}

const compact = (day: string): string => day.replaceAll('-', '');

/** `Stmt/Id` (and MT940 `:20:`): 16 characters, the day and the account's sequence. */
export const statementId = (s: DailyStatement): string => `ST${compact(s.date)}${String(s.sequence).padStart(6, '0')}`;

const tag = (name: string, body: string): string => `<${name}>${body}</${name}>`;
const amt = (amount: string, ccy: string): string => `<Amt Ccy="${xmlText(ccy)}">${amount}</Amt>`;
const signOf = (signed: string, ccy: string): { amount: string; dir: 'CRDT' | 'DBIT' } => {
  const m = money(signed, ccy);
  return { amount: (m.isNegative() ? m.negate() : m).toString(), dir: m.isNegative() ? 'DBIT' : 'CRDT' };
};

function balance(code: 'OPBD' | 'CLBD', signed: string, ccy: string, day: string): string {
  const { amount, dir } = signOf(signed, ccy);
  return tag('Bal', `${tag('Tp', tag('CdOrPrtry', tag('Cd', code)))}${amt(amount, ccy)}${tag('CdtDbtInd', dir)}${tag('Dt', tag('Dt', day))}`);
}

function summary(s: DailyStatement): string {
  const all = totalsOf(s.lines, s.currency);
  const cr = totalsOf(s.lines, s.currency, 'CRDT');
  const db = totalsOf(s.lines, s.currency, 'DBIT');
  const net = signOf(money(cr.sum, s.currency).minus(money(db.sum, s.currency)).toString(), s.currency);
  const count = (t: { count: number; sum: string }) => `${tag('NbOfNtries', String(t.count))}${tag('Sum', t.sum)}`;
  return tag(
    'TxsSummry',
    `${tag('TtlNtries', `${count(all)}${tag('TtlNetNtry', `${tag('Amt', net.amount)}${tag('CdtDbtInd', net.dir)}`)}`)}${tag('TtlCdtNtries', count(cr))}${tag('TtlDbtNtries', count(db))}`,
  );
}

function party(role: 'Dbtr' | 'Cdtr', c: BookLine['counterparty']): string {
  if (!c) return '';
  const name = c.accountName ? tag(role, tag('Pty', tag('Nm', xmlText(c.accountName.slice(0, 140))))) : '';
  const account = c.accountNumber ? tag(`${role}Acct`, tag('Id', tag('Othr', tag('Id', xmlText(c.accountNumber))))) : '';
  return name + account;
}

function entry(l: BookLine, ccy: string): string {
  const out = l.direction === 'DBIT';
  const code = tag('BkTxCd', tag('Domn', `${tag('Cd', 'PMNT')}${tag('Fmly', `${tag('Cd', out ? 'ICDT' : 'RCDT')}${tag('SubFmlyCd', 'DMCT')}`)}`));
  const refs = tag('Refs', `${tag('AcctSvcrRef', xmlText(l.bankTransactionId))}${tag('EndToEndId', xmlText(l.endToEndRef ?? 'NOTPROVIDED'))}${tag('TxId', xmlText(l.bankTransactionId))}`);
  const parties = party(out ? 'Cdtr' : 'Dbtr', l.counterparty);
  const details =
    refs + amt(l.amount, ccy) + tag('CdtDbtInd', l.direction) + (parties ? tag('RltdPties', parties) : '') + (l.details ? tag('RmtInf', tag('Ustrd', xmlText(l.details.slice(0, 140)))) : '');
  return tag(
    'Ntry',
    amt(l.amount, ccy) +
      tag('CdtDbtInd', l.direction) +
      tag('Sts', tag('Cd', 'BOOK')) +
      tag('BookgDt', tag('DtTm', chinaDateTime(l.bookedAt))) +
      tag('ValDt', tag('Dt', l.valueDate)) +
      tag('AcctSvcrRef', xmlText(l.bankTransactionId)) +
      code +
      tag('NtryDtls', tag('TxDtls', details)) +
      (l.details ? tag('AddtlNtryInf', xmlText(l.details.slice(0, 500))) : ''),
  );
}

function statement(s: DailyStatement): string {
  const account = tag('Acct', `${tag('Id', tag('Othr', tag('Id', xmlText(s.accountNumber))))}${tag('Ccy', xmlText(s.currency))}${s.accountName ? tag('Nm', xmlText(s.accountName.slice(0, 70))) : ''}`);
  const head =
    tag('Id', statementId(s)) +
    tag('ElctrncSeqNb', String(s.sequence)) +
    tag('LglSeqNb', String(s.sequence)) +
    tag('CreDtTm', chinaDateTime(s.createdAt)) +
    tag('FrToDt', `${tag('FrDtTm', `${s.date}T00:00:00+08:00`)}${tag('ToDtTm', `${s.date}T23:59:59+08:00`)}`) +
    account +
    balance('OPBD', s.opening, s.currency, s.date) +
    balance('CLBD', s.closing, s.currency, s.date) +
    summary(s);
  // One entry per line of text: the service cuts the file per entry, and people read it.
  return `  <Stmt>\n    ${head}\n${s.lines.map((l) => `    ${entry(l, s.currency)}\n`).join('')}  </Stmt>`;
}

/** A camt.053 document holding the given statements (one file may hold several accounts). */
export function writeCamt053(statements: DailyStatement[]): string {
  if (statements.length === 0) throw new Error('a camt.053 file needs at least one statement');
  const createdAt = statements.reduce((a, s) => (s.createdAt > a ? s.createdAt : a), statements[0].createdAt);
  // A message id that the same statements always get (the writer is pure), 35 characters at most.
  const digest = createHash('sha256')
    .update(statements.map((s) => `${s.bankCode}|${s.accountNumber}|${s.date}|${s.sequence}`).join(';'))
    .digest('hex')
    .slice(0, 16)
    .toUpperCase();
  const header = tag('GrpHdr', `${tag('MsgId', `${compact(statements[0].date)}${digest}`)}${tag('CreDtTm', chinaDateTime(createdAt))}`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="${NS}">\n <BkToCstmrStmt>\n  ${header}\n${statements.map(statement).join('\n')}\n </BkToCstmrStmt>\n</Document>\n`;
}
