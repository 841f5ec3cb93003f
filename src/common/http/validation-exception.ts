import { BadRequestException } from '@nestjs/common';
import { ValidationError } from 'class-validator';
import { IS_AMOUNT } from '../money/is-amount.decorator';

function flatten(errors: ValidationError[], parent = ''): { path: string; constraints: Record<string, string> }[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    return [...(e.constraints ? [{ path, constraints: e.constraints }] : []), ...flatten(e.children ?? [], path)];
  });
}

/** 400 with every violation; a malformed amount anywhere makes the code INVALID_AMOUNT. */
export function validationException(errors: ValidationError[]): BadRequestException {
  const flat = flatten(errors);
  const amount = flat.some((f) => IS_AMOUNT in f.constraints);
  return new BadRequestException({
    code: amount ? 'INVALID_AMOUNT' : 'VALIDATION_FAILED',
    message: flat.flatMap((f) => Object.values(f.constraints)),
  });
}
