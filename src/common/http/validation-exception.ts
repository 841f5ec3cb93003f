import { BadRequestException } from '@nestjs/common';
import { ValidationError } from 'class-validator';
import { IS_AMOUNT } from '../money/is-amount.decorator';

interface Violation {
  path: string;
  property: string;
  constraints: Record<string, string>;
}

function flatten(errors: ValidationError[], parent = ''): Violation[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    return [...(e.constraints ? [{ path, property: e.property, constraints: e.constraints }] : []), ...flatten(e.children ?? [], path)];
  });
}

/**
 * 400 with every violation. A malformed amount anywhere makes the code INVALID_AMOUNT, with
 * a message naming the amount field by its full path (`rules.priceCaps.0.maxPricePerHour`).
 */
export function validationException(errors: ValidationError[]): BadRequestException {
  const flat = flatten(errors);
  const violations = flat.flatMap((f) => Object.values(f.constraints));
  const amounts = flat.filter((f) => IS_AMOUNT in f.constraints);
  if (amounts.length === 0) return new BadRequestException({ code: 'VALIDATION_FAILED', message: violations });
  // The amount rule's message starts with the property name; the path says where it sits.
  const named = amounts.map((f) => `${f.path}${f.constraints[IS_AMOUNT].slice(f.property.length)}`);
  return new BadRequestException({
    code: 'INVALID_AMOUNT',
    message: named.join('; '),
    details: { fields: amounts.map((f) => f.path), violations },
  });
}
