import { closingOf, money, normalised } from './statement-amounts';
import { AppliedFault, BookLine, DailyStatement, StatementFault } from './statement-types';

/**
 * Injects faults into a day's true statement of one account (pure: statement and faults in, the
 * statement to write and what was done out; null when the statement is skipped). Each fault names
 * its line in the true statement, so several faults on one account do not shift each other.
 */
export function applyFaults(truth: DailyStatement, faults: StatementFault[]): { statement: DailyStatement | null; applied: AppliedFault[] } {
  const mine = faults.filter((f) => f.account === truth.accountNumber);
  const applied: AppliedFault[] = [];
  if (mine.some((f) => f.type === 'skip-statement')) {
    applied.push({ type: 'skip-statement', account: truth.accountNumber, line: null, direction: null, bankTransactionId: null, endToEndRef: null, amount: null, writtenAmount: null, keepClosing: false });
    return { statement: null, applied };
  }
  let lines: BookLine[] = [...truth.lines];
  let keepClosing = false;
  for (const f of mine) {
    if (f.type === 'skip-statement') continue;
    const index = lineIndex(truth, f);
    const target = truth.lines[index];
    const at = lines.indexOf(target);
    if (at < 0) throw new Error(`fault ${f.type}: line ${index + 1} of ${truth.accountNumber} was already dropped by another fault`);
    let writtenAmount: string | null = null;
    if (f.type === 'drop-line') lines = [...lines.slice(0, at), ...lines.slice(at + 1)];
    else if (f.type === 'double-line') lines = [...lines.slice(0, at + 1), target, ...lines.slice(at + 1)];
    else {
      writtenAmount = f.amount ? normalised(f.amount, truth.currency) : money(target.amount, truth.currency).plus(money('1', truth.currency)).toString();
      if (writtenAmount === target.amount) throw new Error(`fault change-amount: ${writtenAmount} is the line's own amount`);
      lines = [...lines.slice(0, at), { ...target, amount: writtenAmount }, ...lines.slice(at + 1)];
    }
    keepClosing ||= f.keepClosing === true;
    applied.push({
      type: f.type,
      account: truth.accountNumber,
      line: index + 1,
      direction: target.direction,
      bankTransactionId: target.bankTransactionId,
      endToEndRef: target.endToEndRef,
      amount: target.amount,
      writtenAmount,
      keepClosing: f.keepClosing === true,
    });
  }
  const closing = keepClosing ? truth.closing : closingOf(truth.opening, lines, truth.currency);
  return { statement: { ...truth, lines, closing }, applied };
}

function lineIndex(truth: DailyStatement, f: Exclude<StatementFault, { type: 'skip-statement' }>): number {
  if (truth.lines.length === 0) throw new Error(`fault ${f.type}: the statement of ${truth.accountNumber} on ${truth.date} has no line`);
  if (f.reference !== undefined) {
    const i = truth.lines.findIndex((l) => l.bankTransactionId === f.reference || l.endToEndRef === f.reference);
    if (i < 0) throw new Error(`fault ${f.type}: no line with reference ${f.reference} on ${truth.accountNumber} on ${truth.date}`);
    return i;
  }
  const line = f.line ?? truth.lines.length;
  if (!Number.isInteger(line) || line < 1 || line > truth.lines.length) throw new Error(`fault ${f.type}: line ${line} is not a line of ${truth.accountNumber} (1-${truth.lines.length})`);
  return line - 1;
}
