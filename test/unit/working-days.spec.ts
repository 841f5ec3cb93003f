import { WorkingDays } from '@modules/calendar/working-days';

describe('mainland China working days', () => {
  const cal = new WorkingDays();

  it('knows Spring Festival 2025 and its adjusted working Sunday', () => {
    expect(cal.isWorkday('2025-01-26')).toBe(true); // Sunday, adjusted working day
    for (const d of ['2025-01-28', '2025-01-31', '2025-02-04']) expect(cal.isWorkday(d)).toBe(false);
    expect(cal.isWorkday('2025-02-08')).toBe(true); // Saturday, adjusted working day
    expect(cal.isWorkday('2025-02-09')).toBe(false);
  });

  it('counts 15 working days across Spring Festival', () => {
    // From Monday 20 January 2025: 21-24, Sun 26, 27, (28 Jan - 4 Feb off), 5-8 (Sat 8 works), 10-14.
    expect(cal.add('2025-01-20', 15)).toBe('2025-02-14');
    expect(cal.add('2025-01-24', 1)).toBe('2025-01-26');
  });

  it('lets admin overrides win', () => {
    const withOverride = new WorkingDays(new Map([['2027-02-08', false]]));
    expect(withOverride.isWorkday('2027-02-08')).toBe(false);
    expect(withOverride.add('2027-02-05', 1)).toBe('2027-02-09');
  });
});
