import type { EntryRow } from '@modules/statements/statements.service';
import { BankLine, normaliseRef, toMinor } from './matching';

/** A stored statement entry as the matching rules read it (pure). */
export function toBankLine(e: EntryRow, statementId: string, statementDate: string, retryOf?: string): BankLine {
  const refs = unique([e.transaction_id, e.end_to_end_id, e.customer_reference, e.bank_reference]);
  const details = Array.isArray(e.transactions) ? (e.transactions as Record<string, unknown>[]) : [];
  const detailRefs = details
    .map((d) => unique([str(d.transactionId), str(d.endToEndId), str(d.bankReference)]))
    .filter((r) => r.length > 0);
  return {
    statementId,
    line: e.line,
    statementDate,
    direction: e.direction,
    amount: toMinor(e.amount),
    date: e.value_date ?? e.booking_date ?? statementDate,
    reversal: e.reversal,
    reference: lineReference(e),
    refs,
    detailRefs,
    ...(retryOf ? { retryOf } : {}),
  };
}

/** The reference a person reads first for a line: the bank's transaction id, else the end-to-end id, else any. */
export function lineReference(e: Pick<EntryRow, 'transaction_id' | 'end_to_end_id' | 'customer_reference' | 'bank_reference'>): string | null {
  return e.transaction_id ?? e.end_to_end_id ?? e.customer_reference ?? e.bank_reference ?? null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function unique(refs: (string | null)[]): string[] {
  const out: string[] = [];
  for (const raw of refs) {
    const r = normaliseRef(raw);
    if (r && !out.includes(r)) out.push(r);
  }
  return out;
}
