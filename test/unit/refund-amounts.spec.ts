import { Money } from '@common/money/money';
import { lessonAmount } from '@modules/contracts/contract-rules';
import { refundAmount, refundPayBy, scheduledRefund } from '@modules/refunds/refund-amounts';
import { canApplyRefund, nextRefundState, REFUND_EVENTS, REFUND_STATES } from '@modules/refunds/refund-state-machine';

const m = (s: string, c = 'CNY') => Money.parse(s, c);

/** The contract's lessons consumed one by one with the one remainder rule (as the lessons module does). */
function consume(total: Money, lessons: number, n: number): { amounts: Money[]; consumed: Money } {
  const amounts: Money[] = [];
  let consumed = Money.zero(total.currency);
  for (let k = 0; k < n; k++) {
    const a = lessonAmount(total, lessons, k, consumed);
    amounts.push(a);
    consumed = consumed.plus(a);
  }
  return { amounts, consumed };
}

describe('refund amounts (pure)', () => {
  it('48 lessons for 11,111.11 with 17 consumed: the exact sum of the 31 remaining allocated amounts', () => {
    const total = m('11111.11');
    const all = consume(total, 48, 48).amounts;
    const { consumed } = consume(total, 48, 17);
    expect(consumed.toString()).toBe('3935.16'); // 17 × 231.48
    const remaining = Money.sum(all.slice(17));
    expect(remaining.toString()).toBe('7175.95'); // 30 × 231.48 + 231.55
    const r = refundAmount({ total, lessons: 48, lessonsConsumed: 17, consumedAmount: consumed, paidIn: total });
    expect(r).toMatchObject({ phase: 'after_start', lessons: 48, lessonsConsumed: 17, remainingLessons: 31 });
    expect(r.refund.toString()).toBe('7175.95');
    expect(r.consumedAmount.toString()).toBe('3935.16');
    // Consumed + refunded = everything paid in, to the cent: nothing taken from a delivered lesson, nothing left behind.
    expect(r.refund.plus(consumed).eq(total)).toBe(true);
  });

  it('before the first lesson: everything paid in (a partial payment too)', () => {
    expect(refundAmount({ total: m('11111.11'), lessons: 48, lessonsConsumed: 0, consumedAmount: m('0'), paidIn: m('11111.11') })).toMatchObject({ phase: 'before_start', remainingLessons: 48 });
    expect(refundAmount({ total: m('11111.11'), lessons: 48, lessonsConsumed: 0, consumedAmount: m('0'), paidIn: m('11111.11') }).refund.toString()).toBe('11111.11');
    expect(refundAmount({ total: m('1000.00'), lessons: 10, lessonsConsumed: 0, consumedAmount: m('0'), paidIn: m('400.00') }).refund.toString()).toBe('400.00');
  });

  it('every consumed count of odd totals: refund + consumed = total, and the refund is the remaining lessons summed', () => {
    for (const [total, lessons] of [['11111.11', 48], ['100.00', 3], ['0.05', 7], ['9999.99', 60], ['1.00', 1]] as const) {
      const t = m(total);
      const all = consume(t, lessons, lessons).amounts;
      for (let k = 1; k <= lessons; k++) {
        const { consumed } = consume(t, lessons, k);
        const r = refundAmount({ total: t, lessons, lessonsConsumed: k, consumedAmount: consumed, paidIn: t });
        expect(r.refund.toString()).toBe(Money.sum(all.slice(k)).toString());
        expect(r.refund.plus(consumed).eq(t)).toBe(true);
      }
    }
  });

  it('all lessons consumed: nothing to refund; never more than what was paid for the lessons not consumed', () => {
    const t = m('300.00');
    expect(refundAmount({ total: t, lessons: 3, lessonsConsumed: 3, consumedAmount: t, paidIn: t }).refund.toString()).toBe('0.00');
    // Consumed lessons worth more than was paid (cannot happen for an active contract, but the rule never goes negative or above the payment).
    expect(refundAmount({ total: t, lessons: 3, lessonsConsumed: 1, consumedAmount: m('100.00'), paidIn: m('150.00') }).refund.toString()).toBe('50.00');
    expect(refundAmount({ total: t, lessons: 3, lessonsConsumed: 2, consumedAmount: m('200.00'), paidIn: m('150.00') }).refund.toString()).toBe('0.00');
  });

  it('keeps the currency (JPY has no minor unit)', () => {
    const t = m('10000', 'JPY');
    const { consumed } = consume(t, 3, 1);
    expect(refundAmount({ total: t, lessons: 3, lessonsConsumed: 1, consumedAmount: consumed, paidIn: t }).refund.toString()).toBe('6667');
  });

  it('refuses impossible counts', () => {
    expect(() => refundAmount({ total: m('1.00'), lessons: 0, lessonsConsumed: 0, consumedAmount: m('0'), paidIn: m('1.00') })).toThrow();
    expect(() => refundAmount({ total: m('1.00'), lessons: 2, lessonsConsumed: 3, consumedAmount: m('0'), paidIn: m('1.00') })).toThrow();
    expect(() => refundAmount({ total: m('1.00'), lessons: 2, lessonsConsumed: -1, consumedAmount: m('0'), paidIn: m('1.00') })).toThrow();
  });

  it('pays within the policy days: before the start 5, after it 15 (calendar days)', () => {
    const terms = { daysBeforeStart: 5, daysAfterStart: 15 };
    expect(refundPayBy('2026-12-28', 'before_start', terms)).toBe('2027-01-02');
    expect(refundPayBy('2026-12-28', 'after_start', terms)).toBe('2027-01-12');
  });
});

describe('refund state machine', () => {
  it('approves a request once, whoever gets there first', () => {
    expect(nextRefundState('requested', 'approve')).toBe('approved');
    expect(nextRefundState('requested', 'deem')).toBe('approved');
    expect(() => nextRefundState('approved', 'deem')).toThrow(expect.objectContaining({ code: 'INVALID_REFUND_TRANSITION' }));
    expect(() => nextRefundState('approved', 'approve')).toThrow();
    expect(canApplyRefund('contested', 'deem')).toBe(false);
  });

  it('a contested request is decided by the regulator; the bank ends an approved one', () => {
    expect(nextRefundState('requested', 'contest')).toBe('contested');
    expect(nextRefundState('contested', 'decide')).toBe('approved');
    expect(nextRefundState('contested', 'refuse')).toBe('refused');
    expect(nextRefundState('approved', 'executed')).toBe('paid');
    expect(nextRefundState('approved', 'failed')).toBe('failed');
    expect(nextRefundState('requested', 'lapse')).toBe('refused');
    for (const s of ['refused', 'paid']) for (const e of Object.keys(REFUND_EVENTS)) expect(canApplyRefund(s, e as keyof typeof REFUND_EVENTS)).toBe(false);
    try {
      nextRefundState('paid', 'approve');
    } catch (e) {
      expect((e as { details: unknown }).details).toEqual({ state: 'paid', event: 'approve', allowed: [] });
    }
    expect(REFUND_STATES).toContain('failed');
  });
});

describe('refund of a contract under a deduction schedule (pure)', () => {
  const base = refundAmount({ total: m('10000.00'), lessons: 12, lessonsConsumed: 0, consumedAmount: m('0.00'), paidIn: m('10000.00') });

  it('what was paid in less what the schedule keeps (periods taken or due): 10,000.00 with one period of 3,333.33 kept', () => {
    expect(scheduledRefund(base, m('3333.33'))).toMatchObject({ phase: 'after_start', refund: m('6666.67') });
  });

  it('nothing kept: everything paid in, in the phase the lessons give; never negative', () => {
    expect(scheduledRefund(base, m('0.00'))).toMatchObject({ phase: 'before_start', refund: m('10000.00') });
    expect(scheduledRefund(base, m('10000.00')).refund.toString()).toBe('0.00');
    const partlyPaid = refundAmount({ total: m('10000.00'), lessons: 12, lessonsConsumed: 0, consumedAmount: m('0.00'), paidIn: m('2000.00') });
    expect(scheduledRefund(partlyPaid, m('3333.33')).refund.toString()).toBe('0.00');
  });
});
