import { plainToInstance, Type } from 'class-transformer';
import { IsOptional, IsString, validateSync, ValidateNested } from 'class-validator';
import { mapError } from '@common/errors/error-body';
import { validationException } from '@common/http/validation-exception';
import { checkAmount } from '@common/money/amount-format';
import { IsAmount } from '@common/money/is-amount.decorator';
import { Money } from '@common/money/money';

describe('the amount format (checkAmount)', () => {
  it.each(['0', '0.5', '1', '1234.56', '0.01', '9999999999999999.99'])('accepts %p', (input) => {
    expect(checkAmount(input, 'amount')).toBeNull();
  });

  it.each([
    [12.5, 'not a number'],
    [null, 'not null'],
    [undefined, 'not a undefined'],
    ['', 'decimal string'],
    ['1e3', 'decimal string'],
    ['NaN', 'decimal string'],
    [' 1.00', 'decimal string'],
    ['01.00', 'decimal string'],
    ['1,00', 'decimal string'],
    ['1.', 'decimal string'],
    ['+1', 'decimal string'],
    ['1.234', 'at most 2 decimals in CNY'],
    ['10000000000000000.00', 'too large'],
    ['-0.01', 'must not be negative'],
    ['-1', 'must not be negative'],
  ] as [unknown, string][])('refuses %p (%s), naming the field', (input, why) => {
    const problem = checkAmount(input, 'totalPrice');
    expect(problem?.message).toContain(why);
    expect(problem?.message.startsWith('totalPrice ')).toBe(true);
    expect(problem?.details.field).toBe('totalPrice');
  });

  it('follows the currency: JPY has no decimals, USD two, unknown currencies are refused', () => {
    expect(checkAmount('100', 'a', { currency: 'JPY' })).toBeNull();
    expect(checkAmount('100.5', 'a', { currency: 'JPY' })?.message).toBe('a must be a whole number of JPY');
    expect(checkAmount('100.50', 'a', { currency: 'USD' })).toBeNull();
    expect(checkAmount('1', 'a', { currency: 'XXX' })?.message).toContain('unknown currency XXX');
  });

  it('refuses zero only where the field must be positive', () => {
    expect(checkAmount('0.00', 'price')).toBeNull();
    expect(checkAmount('0.00', 'price', { positive: true })?.message).toBe('price must be more than zero');
    expect(checkAmount('0', 'price', { positive: true })).not.toBeNull();
    expect(checkAmount('0.01', 'price', { positive: true })).toBeNull();
  });

  it('accepts a sign only where the field is signed', () => {
    expect(checkAmount('-12.30', 'adjustment', { signed: true })).toBeNull();
    expect(checkAmount('-12.301', 'adjustment', { signed: true })).not.toBeNull();
  });
});

describe('Money.parse uses the same rule', () => {
  it.each([['12.345'], ['-1.00'], [12], ['1e2']])('refuses %p with 400 INVALID_AMOUNT naming the field', (input) => {
    expect(() => Money.parse(input, 'CNY', 'listPricePerLesson')).toThrow(
      expect.objectContaining({ code: 'INVALID_AMOUNT', status: 400, message: expect.stringMatching(/^listPricePerLesson /), details: expect.objectContaining({ field: 'listPricePerLesson' }) }),
    );
  });

  it('refuses zero for a positive field', () => {
    expect(() => Money.parse('0.00', 'CNY', 'price', { positive: true })).toThrow(expect.objectContaining({ code: 'INVALID_AMOUNT' }));
    expect(Money.parse('0.00', 'CNY', 'reserve').isZero()).toBe(true);
  });
});

class Cap {
  @IsAmount({ positive: true }) maxPricePerHour: string;
}

class Body {
  @IsString() @IsOptional() currency?: string;
  @IsAmount({ currencyField: 'currency' }) @IsOptional() reserve?: string;
  @ValidateNested({ each: true }) @Type(() => Cap) @IsOptional() caps?: Cap[];
}

const validate = (plain: object) => validateSync(plainToInstance(Body, plain));

describe('@IsAmount and the validation pipe', () => {
  it('applies the same rule as Money.parse, with the currency of a sibling field', () => {
    expect(validate({ reserve: '100.00' })).toEqual([]);
    expect(validate({ reserve: '-1.00' })).toHaveLength(1);
    expect(validate({ reserve: '100', currency: 'JPY' })).toEqual([]);
    expect(validate({ reserve: '100.5', currency: 'JPY' })).toHaveLength(1);
    expect(validate({ caps: [{ maxPricePerHour: '0' }] })).toHaveLength(1);
  });

  it('answers 400 INVALID_AMOUNT naming the nested field by its path', () => {
    const errors = validate({ caps: [{ maxPricePerHour: '50.00' }, { maxPricePerHour: '12.345' }] });
    const mapped = mapError(validationException(errors), 'rid');
    expect(mapped.status).toBe(400);
    expect(mapped.body.error.code).toBe('INVALID_AMOUNT');
    expect(mapped.body.error.message).toBe('caps.1.maxPricePerHour must have at most 2 decimals in CNY');
    expect(mapped.body.error.details).toMatchObject({ fields: ['caps.1.maxPricePerHour'] });
  });

  it('keeps VALIDATION_FAILED for everything that is not an amount', () => {
    const errors = validateSync(plainToInstance(Body, { currency: 12 }));
    const mapped = mapError(validationException(errors), 'rid');
    expect(mapped.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'Request validation failed', details: { violations: ['currency must be a string'] } });
  });
});
