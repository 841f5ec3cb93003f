import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { AmountRules, checkAmount } from './amount-format';
import { isKnownCurrency } from './currency';

export const IS_AMOUNT = 'isAmount';

export interface IsAmountOptions extends Omit<AmountRules, 'currency'> {
  /** A sibling property holding the currency code (its decimals apply); CNY when absent or empty. */
  currencyField?: string;
}

/**
 * An API amount in the one format of `checkAmount` (a decimal string such as "1234.56").
 * The validation pipe answers 400 INVALID_AMOUNT naming the field.
 */
export function IsAmount(rules: IsAmountOptions = {}, options?: ValidationOptions): PropertyDecorator {
  const problem = (args: ValidationArguments) => {
    const currency = rules.currencyField ? (args.object as Record<string, unknown>)[rules.currencyField] : undefined;
    // An unknown currency is the currency field's own violation; the amount is then read as CNY.
    return checkAmount(args.value, args.property, { ...rules, currency: typeof currency === 'string' && isKnownCurrency(currency) ? currency : undefined });
  };
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: IS_AMOUNT,
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: (args: ValidationArguments) => problem(args)?.message ?? `${args.property} is not a valid amount`, ...options },
      validator: { validate: (_value: unknown, args?: ValidationArguments) => problem(args!) === null },
    });
}
