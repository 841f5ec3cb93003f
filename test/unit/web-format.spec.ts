import { compareDecimal, formatAmount, formatDateTime } from '../../web/src/common/format';
import { toCsv } from '../../web/src/common/csv';

/** The pages format amounts as strings (never through a JS number): exact at any size. */
describe('web formatting', () => {
  it.each([
    ['0', '0.00'],
    ['0.5', '0.50'],
    ['1234.56', '1,234.56'],
    ['-1234567.8', '-1,234,567.80'],
    ['9999999999999999.99', '9,999,999,999,999,999.99'],
    ['100000000000000000.01', '100,000,000,000,000,000.01'],
    ['007.10', '7.10'],
  ])('formatAmount(%s) = %s', (input, shown) => {
    expect(formatAmount(input)).toBe(shown);
  });

  it('keeps a currency without minor units whole, and shows anything unparseable as it is', () => {
    expect(formatAmount('1234567', 0)).toBe('1,234,567');
    expect(formatAmount(null)).toBe('–');
    expect(formatAmount('1e5')).toBe('1e5');
  });

  it('compares decimals exactly (sorting), beyond what a double holds', () => {
    expect(compareDecimal('9007199254740993.01', '9007199254740993.02')).toBe(-1);
    expect(compareDecimal('10.00', '9.99')).toBe(1);
    expect(compareDecimal('-10.00', '-9.99')).toBe(-1);
    expect(compareDecimal('1.5', '1.50')).toBe(0);
    expect(['100.00', '-1.00', '99.99', '0.01'].sort(compareDecimal)).toEqual(['-1.00', '0.01', '99.99', '100.00']);
  });

  it('shows timestamps in China time whatever the machine zone', () => {
    expect(formatDateTime('2026-12-05T16:30:00Z')).toBe('2026/12/06 00:30');
    expect(formatDateTime('2026-12-05')).toBe('2026-12-05');
  });

  it('writes CSV with RFC 4180 quoting and formula-looking cells quoted', () => {
    expect(toCsv(['a', 'b'], [['x,y', '=1+1'], ['"q"', null]])).toBe('a,b\r\n"x,y","=1+1"\r\n"""q""",\r\n');
  });
});
