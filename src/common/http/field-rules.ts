import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsDefined, IsObject, ValidateIf, ValidateNested } from 'class-validator';

/**
 * A field that may be left out but, when sent, must have a value. class-validator's
 * `@IsOptional()` also lets `null` through and skips every other rule, so a `PATCH` with
 * `"name": null` reached a NOT NULL column (500) and `"basicAccountNumber": null` silently
 * cleared the payout account. Leaving a field out keeps it; `null` is refused.
 */
export function OmittableNotNull(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_object: object, value: unknown) => value !== undefined),
    IsDefined({ message: ({ property }) => `${property} cannot be null (leave it out to keep the current value)` }),
  );
}

/**
 * A nested object (never an array, a string or null), validated against its class.
 * `@ValidateNested()` alone accepts an array, so `"rules": []` passed validation and crashed later.
 */
export function NestedObject(type: () => new () => object, opts: { each?: boolean } = {}): PropertyDecorator {
  return applyDecorators(
    IsObject({ each: opts.each, message: ({ property }) => (opts.each ? `each element of ${property} must be an object` : `${property} must be an object`) }),
    ValidateNested({ each: opts.each }),
    Type(type),
  );
}
