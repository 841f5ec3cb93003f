import { Injectable, PipeTransform } from '@nestjs/common';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { DomainError } from '../errors/domain-error';

/**
 * The one check of dates received from clients (bodies, queries, paths). An impossible date
 * (30 February, month 13, hour 25) is refused, never normalised: JavaScript's `Date` would turn
 * 2026-02-30 into 2 March without a word. Only the extended ISO 8601 forms are accepted (no
 * `20261201`, no week or ordinal dates), so every layer below reads the same day.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2}):(\d{2}))$/;

function realDay(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** `YYYY-MM-DD` naming a day that exists. */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DATE.exec(value);
  return !!m && realDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** `YYYY-MM-DDThh:mm[:ss[.ffffff]]` with `Z` or an offset, every part in range. */
export function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = TIMESTAMP.exec(value);
  if (!m || !realDay(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  const [hh, mm, ss] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (hh > 23 || mm > 59 || ss > 59) return false;
  return m[7] === 'Z' || (Number(m[8]) <= 14 && Number(m[9]) <= 59);
}

function dateRule(name: string, test: (v: unknown) => boolean, what: string, options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be ${what}`, ...options },
      validator: { validate: test },
    });
}

/** A calendar day (`2027-01-31`) that exists. */
export function IsCalendarDate(options?: ValidationOptions): (object: object, propertyName: string) => void {
  return dateRule('isCalendarDate', isCalendarDate, 'a real calendar date written YYYY-MM-DD', options);
}

/** A moment (`2026-11-21T09:00:00+08:00`) that exists; with `orDate`, a calendar day is accepted too. */
export function IsTimestamp(opts: { orDate?: boolean } = {}, options?: ValidationOptions): (object: object, propertyName: string) => void {
  const test = (v: unknown) => isTimestamp(v) || (!!opts.orDate && isCalendarDate(v));
  const what = opts.orDate ? 'a real date (YYYY-MM-DD) or date-time with a time zone (ISO 8601)' : 'a real date-time with a time zone (ISO 8601)';
  return dateRule('isTimestamp', test, what, options);
}

/** Path parameters naming a day: `PUT /admin/calendar/2026-02-30` is 400, not a 500 from the database. */
@Injectable()
export class ParseCalendarDatePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (isCalendarDate(value)) return value;
    throw new DomainError('VALIDATION_FAILED', 'The day must be a real calendar date written YYYY-MM-DD', { violations: [`${String(value).slice(0, 40)} is not a calendar date`] });
  }
}
