import { registerDecorator, ValidationOptions } from 'class-validator';

export const IS_AMOUNT = 'isAmount';
const AMOUNT = /^-?(0|[1-9]\d{0,15})(\.\d{1,2})?$/;

/**
 * An API amount: a decimal string with at most two decimals ("1234.56"). JSON numbers,
 * exponents, NaN and empty strings fail, and the validation pipe answers 400 INVALID_AMOUNT.
 */
export function IsAmount(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: IS_AMOUNT,
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `$property must be a decimal string such as "1234.56" (not a number)`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && AMOUNT.test(value) },
    });
}
