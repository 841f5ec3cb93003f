import { isCalendarDate, isTimestamp } from '@common/http/date-input';
import { decodeCursor, encodeCursor } from '@common/http/pagination';
import { releaseCadenceProblems } from '@modules/policies/policy-rules';

describe('client dates (one strict check, never normalised)', () => {
  it.each(['2026-02-28', '2028-02-29', '2000-02-29', '2026-12-31', '0001-01-01'])('%s is a calendar date', (d) => expect(isCalendarDate(d)).toBe(true));
  it.each(['2026-02-30', '2027-02-29', '1900-02-29', '2026-13-01', '2026-00-10', '2026-01-00', '2026-04-31', '20261201', '2026-W49-2', '2026-1-1', ' 2026-01-01', '2026-01-01T00:00:00Z', '', 20261201])(
    '%s is not',
    (d) => expect(isCalendarDate(d)).toBe(false),
  );
  it.each(['2026-11-21T09:00:00+08:00', '2026-11-21T09:00Z', '2026-11-21T23:59:59.999Z', '2028-02-29T00:00:00-05:30'])('%s is a timestamp', (d) => expect(isTimestamp(d)).toBe(true));
  it.each(['2026-02-30T09:00:00Z', '2026-11-21T24:00:00Z', '2026-11-21T09:60:00Z', '2026-11-21T09:00:60Z', '2026-11-21T09:00:00', '2026-11-21 09:00:00Z', '20261121T090000Z', '2026-11-21T09:00:00+15:00', '2026-11-21'])(
    '%s is not',
    (d) => expect(isTimestamp(d)).toBe(false),
  );
});

describe('pagination cursors', () => {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const uuid = '3b241101-e2bb-4255-8caf-4136c566a962';

  it('gives back what it gave out, and nothing without a cursor', () => {
    expect(decodeCursor(encodeCursor(['2026-11-22T00:00:00.000Z', uuid]), ['timestamp', 'uuid'])).toEqual(['2026-11-22T00:00:00.000Z', uuid]);
    expect(decodeCursor(encodeCursor(['42']), ['bigint'])).toEqual(['42']);
    expect(decodeCursor(undefined, ['uuid'])).toBeNull();
    expect(decodeCursor('', ['uuid'])).toBeNull();
  });

  it.each([
    ['garbage', '!!!'],
    ['base64 of non-JSON', Buffer.from('nope').toString('base64url')],
    ['an object', b64({ a: 1 })],
    ['too few parts', b64([uuid])],
    ['a number', b64([1, uuid])],
    ['a bad id', b64(['2026-11-22T00:00:00Z', 'zz'])],
    ['an impossible date', b64(['2026-02-30T00:00:00Z', uuid])],
    ['parts swapped', b64([uuid, '2026-11-22T00:00:00Z'])],
  ])('refuses %s with INVALID_CURSOR', (_label, cursor) => {
    expect(() => decodeCursor(cursor, ['timestamp', 'uuid'])).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
  });

  it('checks kinds exactly when given, and against every known kind with a bare count', () => {
    expect(() => decodeCursor(b64(['123']), ['uuid'])).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    expect(() => decodeCursor(b64(['99999999999999999999']), ['bigint'])).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    expect(decodeCursor(b64(['123']), 1)).toEqual(['123']);
    expect(() => decodeCursor(b64(['zz']), 1)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
  });
});

describe('release cadences of a policy', () => {
  const t = (atFraction: string, percent: number) => ({ atFraction, percent });

  it.each([
    { kind: 'per_lesson' },
    { kind: 'weekly', paymentDelayDays: 0 },
    { kind: 'after_completion', workingDays: 15 },
    { kind: 'tranches', tranches: [t('1/3', 30), t('2/3', 30), t('1', 40)] },
    { kind: 'tranches', tranches: [t('1', 100)] },
    { kind: 'per_lesson', tranches: undefined },
  ])('%j is sound', (c) => expect(releaseCadenceProblems(c)).toEqual([]));

  it.each([
    [{ kind: 'monthly' }, 'kind must be one of'],
    [{ kind: 'weekly' }, 'paymentDelayDays (0-60 days) is required'],
    [{ kind: 'weekly', paymentDelayDays: -1 }, 'paymentDelayDays (0-60 days) is required'],
    [{ kind: 'after_completion', workingDays: 1.5 }, 'workingDays (0-120) is required'],
    [{ kind: 'per_lesson', paymentDelayDays: 3 }, 'paymentDelayDays does not apply to a per_lesson cadence'],
    [{ kind: 'tranches' }, 'tranches (1 to 10) are required'],
    [{ kind: 'tranches', tranches: [] }, 'tranches (1 to 10) are required'],
    [{ kind: 'tranches', tranches: [t('1/3', 30), t('2/3', 30), t('1', 30)] }, 'add up to 100 (they add up to 90)'],
    [{ kind: 'tranches', tranches: [t('2/3', 30), t('1/3', 30), t('1', 40)] }, "must come after the previous tranche's"],
    [{ kind: 'tranches', tranches: [t('1/2', 50), t('2/4', 50)] }, "must come after the previous tranche's"],
    [{ kind: 'tranches', tranches: [t('1/3', 50), t('2/3', 50)] }, 'the last tranche must fall due when all lessons are confirmed'],
    [{ kind: 'tranches', tranches: [t('5/3', 100)] }, 'tranches.0.atFraction must be one of'],
    [{ kind: 'tranches', tranches: [t('1', 0)] }, 'tranches.0.percent must be a whole number'],
    [{ kind: 'tranches', tranches: [null] }, 'tranches.0.atFraction must be one of'],
  ])('%j: %s', (c, problem) => {
    expect(releaseCadenceProblems(c as Record<string, unknown>).join('; ')).toContain(problem);
  });
});
