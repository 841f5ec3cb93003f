import { Money } from '@common/money/money';
import { ContractTerms, lessonAmount, policyViolations } from '@modules/contracts/contract-rules';
import { PolicyRules } from '@modules/policies/policy-rules';
import { policyRules } from '../support/policy-fixtures';

// Edges of the contract rules that contract-rules.spec.ts and lesson-amount.spec.ts leave open
// (found by mutation testing, `npm run test:mutation`).
const rules: PolicyRules = policyRules({
  priceCaps: [
    { category: 'subject', classSizeBand: 'medium', maxPricePerHour: '50.00' },
    { category: 'non_subject', classSizeBand: 'medium', maxPricePerHour: '100.00' },
  ],
});
const ok: ContractTerms = {
  category: 'non_subject',
  classSizeBand: 'medium',
  lessonMinutes: 60,
  lessons: 20,
  startDate: '2026-12-01',
  endDate: '2027-02-28',
  total: Money.parse('1600.00'),
  today: '2026-11-22',
};

describe('contract policy rules', () => {
  it('the price cap is the one of the contract\'s category and class size', () => {
    // 80.00 an hour: above the subject cap (55.00 with the markup), within the non-subject one (110.00).
    expect(policyViolations(rules, ok)).toEqual([]);
    expect(policyViolations(rules, { ...ok, category: 'subject' }).map((v) => v.code)).toEqual(['PRICE_CAP_EXCEEDED']);
  });

  it('every violation says what the limit is', () => {
    const messages = policyViolations(rules, { ...ok, lessons: 61, endDate: '2027-03-01', today: '2026-10-01', total: Money.parse('6710.01') }).map((v) => v.message);
    expect(messages).toEqual([
      'At most 60 lessons may be paid in advance',
      'A prepaid period may cover at most 3 months',
      'Fees may be collected from 2026-11-01 on',
      'A single payment for non-subject training is at most 5000.00',
      'The price per class hour may be at most the guide price 100.00 + 10 %',
    ]);
  });
});

describe('lessonAmount refuses impossible counts', () => {
  const total = Money.parse('100.00');
  it.each([
    [0, 0, /at least one lesson, got 0/],
    [-1, 0, /at least one lesson, got -1/],
    [2.5, 0, /at least one lesson, got 2.5/],
    [4, -1, /No lesson left: -1 of 4 consumed/],
    [4, 1.5, /No lesson left: 1.5 of 4 consumed/],
    [4, 4, /No lesson left: 4 of 4 consumed/],
  ])('%p lessons, %p consumed', (lessons, consumed, message) => {
    expect(() => lessonAmount(total, lessons, consumed, Money.zero())).toThrow(message);
  });
});
