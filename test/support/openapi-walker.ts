import { randomUUID } from 'node:crypto';

/**
 * Hostile requests derived from the OpenAPI document alone, so a new endpoint is covered without
 * writing anything. Each field gets the classic bad values of its kind (read from the schema: type,
 * format, enum, and the example's shape for amounts and dates); path and query parameters get
 * malformed ids, dates and cursors; each body also gets unknown fields, deep nesting, an oversized
 * payload, broken JSON and wrong content types.
 *
 * `strict` cases must be refused (4xx); the others (null for an optional field of a POST, an empty
 * array, a zero amount...) may be accepted, but must never be a 5xx either.
 */

export type Schema = {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  minimum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
};

export interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema?: Schema }[]; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
}

export interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  headers: string[];
  body: Schema | null;
}

export interface HostileCase {
  what: string;
  path: string;
  query?: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  strict: boolean;
}

type Kind = 'string' | 'amount' | 'date' | 'date-time' | 'uuid' | 'enum' | 'integer' | 'boolean' | 'array' | 'object';

export function operations(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        headers: params.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()),
        body: op.requestBody?.content['application/json']?.schema ?? null,
      });
    }
  }
  return ops;
}

export function resolve(doc: OpenApiDoc, s: Schema): Schema {
  if (s.$ref) return resolve(doc, doc.components.schemas[s.$ref.split('/').pop()!]);
  if (s.allOf?.length === 1) return resolve(doc, { ...s, allOf: undefined, ...s.allOf[0] });
  return s;
}

function kindOf(s: Schema): Kind {
  const ex = s.example;
  if (s.enum) return 'enum';
  if (s.type === 'array') return 'array';
  if (s.properties) return 'object';
  if (s.type === 'boolean') return 'boolean';
  if (s.type === 'number' || s.type === 'integer' || typeof ex === 'number') return 'integer';
  if (s.format === 'uuid') return 'uuid';
  if (typeof ex === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(ex)) return 'date';
  if (s.format === 'date-time' || (typeof ex === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(ex))) return 'date-time';
  if (typeof ex === 'string' && /^-?\d+\.\d+$/.test(ex)) return 'amount';
  return 'string';
}

/**
 * A plausible value of the schema (its example when it has one): the background a bad value is put
 * into. `requiredOnly` leaves optional fields out (a case adds back the one it tests).
 */
export function baseline(doc: OpenApiDoc, schema: Schema, requiredOnly = false): unknown {
  const s = resolve(doc, schema);
  switch (kindOf(s)) {
    case 'object': {
      const required = new Set(s.required ?? []);
      const props = Object.entries(s.properties ?? {}).filter(([k]) => !requiredOnly || required.has(k));
      return Object.fromEntries(props.map(([k, v]) => [k, baseline(doc, v, requiredOnly)]));
    }
    case 'array':
      return s.example ?? [baseline(doc, s.items ?? { type: 'string' }, requiredOnly)];
    case 'enum':
      return s.enum![0];
    case 'uuid':
      return randomUUID();
    case 'integer':
      return s.example ?? s.minimum ?? 1;
    case 'boolean':
      return true;
    default:
      return s.example ?? 'hostile-walk';
  }
}

const nested = (levels: number): unknown => {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

const TEXT_ATTACKS: [string, unknown][] = [
  ['10 kB string', 'x'.repeat(10_000)],
  ['NUL', 'a\u0000b'],
  ['BEL control character', 'a\u0007b'],
  ['ANSI escape', '\u001b[2J'],
  ['lone surrogate', 'a\ud800b'],
];

/** Bad values of one field: [label, value, strict]. */
function badValues(s: Schema, required: boolean, patch: boolean): [string, unknown, boolean][] {
  const kind = kindOf(s);
  const nullStrict = required || patch;
  const common: [string, unknown, boolean][] = [['null', null, nullStrict]];
  const notString: [string, unknown, boolean][] = [['number', 12345, true], ['boolean', true, true], ['object', { a: 1 }, true], ['array', ['x'], true]];
  const text: [string, unknown, boolean][] = [...notString, ...TEXT_ATTACKS.map(([l, v]) => [l, v, true] as [string, unknown, boolean])];
  switch (kind) {
    case 'string':
      return [...common, ...text, ['empty string', '', false]];
    case 'enum':
      return [...common, ...text.slice(0, 6), ['unknown member', 'no_such_value', true], ['empty string', '', true], ['upper case', String(s.enum![0]).toUpperCase() + 'X', true]];
    case 'uuid':
      return [...common, ...text.slice(0, 6), ['not a uuid', 'not-a-uuid', true], ['empty string', '', true], ['uuid with NUL', `${randomUUID()}\u0000`, true], ['nil uuid', '00000000-0000-0000-0000-000000000000', false]];
    case 'amount':
      return [
        ...common, ...notString, ['NUL', '1.00\u0000', true], ['JSON number', 12.5, true], ['negative', '-1.00', true], ['over-precise', '1.001', true], ['exponent', '1e3', true],
        ['comma', '1,000.00', true], ['padded', ' 1.00', true], ['NaN', 'NaN', true], ['Infinity', 'Infinity', true], ['empty string', '', true],
        ['beyond numeric(18,2)', '10000000000000000.00', true], ['10 kB digits', '9'.repeat(10_000), true], ['zero', '0.00', false],
      ];
    case 'date':
      return [
        ...common, ...notString, ['NUL', '2027-01-01\u0000', true], ['30 February', '2026-02-30', true], ['29 February of a common year', '2027-02-29', true],
        ['month 13', '2026-13-01', true], ['day 0', '2026-01-00', true], ['no dashes', '20270101', true], ['words', 'tomorrow', true], ['empty string', '', true], ['10 kB string', 'x'.repeat(10_000), true],
      ];
    case 'date-time':
      return [
        ...common, ...notString, ['NUL', '2026-11-21T09:00:00Z\u0000', true], ['30 February', '2026-02-30T09:00:00+08:00', true], ['hour 25', '2026-11-21T25:00:00Z', true],
        ['words', 'yesterday', true], ['empty string', '', true], ['10 kB string', 'x'.repeat(10_000), true],
      ];
    case 'integer':
      return [
        ...common, ['string', '1', true], ['boolean', true, true], ['object', { a: 1 }, true], ['array', [1], true], ['negative', -1, false], ['fraction', 1.5, true],
        ['beyond 2^53', 2 ** 60, true], ['1e308', 1e308, true], ['NUL string', '\u0000', true], ['huge string', '9'.repeat(10_000), true],
      ];
    case 'boolean':
      return [...common, ['string', 'true', true], ['number', 1, true], ['object', {}, true], ['array', [true], true], ['NUL string', '\u0000', true]];
    case 'array':
      return [
        ...common, ['string', 'x', true], ['number', 1, true], ['object', { a: 1 }, true], ['empty', [], false], ['[null]', [null], true],
        ['nested arrays', [[[['x']]]], true], ['1,001 elements', Array.from({ length: 1001 }, () => 'x'), true], ['deep nesting', [nested(40)], true],
      ];
    case 'object':
      return [...common, ['array', [], true], ['string', 'x', true], ['number', 1, true], ['empty object', {}, true], ['deep nesting', nested(40), true], ['unknown field', { __hostile: 1 }, true]];
  }
}

type Tree = Record<string | number, unknown>;

/** `min` with the value at `path` set; missing parents are taken from `full` (an optional object under test). */
function setAt(min: unknown, full: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(min) as Tree;
  let at: Tree = copy;
  let source = full as Tree;
  for (const key of path.slice(0, -1)) {
    source = source?.[key] as Tree;
    if (at[key] === undefined) at[key] = structuredClone(source);
    at = at[key] as Tree;
  }
  at[path[path.length - 1]] = value;
  return copy;
}

/**
 * Every field of the body (nested objects and array elements too) with its bad values, each in a
 * body of the required fields only (a PATCH: that field alone), so nothing else is refused first.
 */
export function bodyCases(doc: OpenApiDoc, op: Operation, path: string, base: unknown): HostileCase[] {
  const cases: HostileCase[] = [];
  const patch = op.method === 'PATCH';
  const min = patch ? {} : baseline(doc, op.body!, true);
  const walk = (schema: Schema, at: (string | number)[], required: boolean) => {
    const s = resolve(doc, schema);
    if (at.length) {
      for (const [label, value, strict] of badValues(s, required, patch)) {
        cases.push({ what: `body ${at.join('.')} = ${label}`, path, body: JSON.stringify(setAt(min, base, at, value)), strict });
      }
    }
    const kind = kindOf(s);
    if (kind === 'object') {
      const req = new Set(s.required ?? []);
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, [...at, k], req.has(k));
    } else if (kind === 'array' && s.items && kindOf(resolve(doc, s.items)) === 'object') {
      walk(s.items, [...at, 0], true);
    }
  };
  walk(op.body!, [], true);
  const json = JSON.stringify(base);
  const whole: [string, string, string | undefined][] = [
    ['unknown field', JSON.stringify({ ...(min as object), __hostile: 'x' }), undefined],
    ['deep nesting in an unknown field', JSON.stringify({ ...(base as object), extra: 0 }).replace('"extra":0', `"extra":${'['.repeat(5000)}${']'.repeat(5000)}`), undefined],
    ['oversized body', JSON.stringify({ ...(base as object), pad: 'x'.repeat(1_100_000) }), undefined],
    ['broken JSON', '{"a":', undefined],
    ['empty JSON body', '', undefined],
    ['JSON null', 'null', undefined],
    ['JSON array', '[]', undefined],
    ['JSON string', '"x"', undefined],
    ['prototype pollution', '{"__proto__":{"admin":true}}', undefined],
    ['constructor pollution', '{"constructor":{"prototype":{"admin":true}}}', undefined],
    ['text/plain', json, 'text/plain'],
    ['form', 'a=1', 'application/x-www-form-urlencoded'],
    ['multipart', '--x\r\n\r\n--x--', 'multipart/form-data; boundary=x'],
    ['XML', '<a/>', 'application/xml'],
    ['UTF-16 JSON', json, 'application/json; charset=utf-16'],
  ];
  for (const [label, body, contentType] of whole) cases.push({ what: `body: ${label}`, path, body, contentType, strict: true });
  return cases;
}

/** Bad values of a path parameter (the others keep their real values). */
export const PATH_ATTACKS: [string, string][] = [
  ['%00', '%00'],
  ['NUL inside', 'abc%00def'],
  ['control character', '%07'],
  ['5,000 characters', 'a'.repeat(5000)],
  ['broken percent-encoding', '%zz'],
  ['unknown uuid', randomUUID()],
  ['not an id', 'not-an-id'],
  ['negative number', '-1'],
  ['huge number', '99999999999999999999999999'],
  ['impossible date', '2026-02-30'],
  ['encoded slash', 'a%2Fb'],
  ['lone surrogate', '%ED%A0%80'],
];

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Bad values of a query parameter, by its name and schema. */
export function queryAttacks(name: string, schema: Schema): [string, string][] {
  const common: [string, string][] = [['%00', '%00'], ['control character', '%1B'], ['10 kB', 'x'.repeat(10_000)], ['empty', ''], ['repeated', 'a&' + name + '=b']];
  if (name === 'cursor') {
    return [
      ...common, ['garbage', '!!!'], ['base64 of an object', b64({ a: 1 })], ['base64 of non-JSON', b64('not json')], ['base64 of one wrong id', b64(['zz'])],
      ['base64 of two wrong parts', b64(['zz', 'yy'])], ['base64 of a number', b64([1])], ['base64 of a NUL', b64(['\u0000'])], ['base64 of a date and a bad id', b64(['2026-02-30T00:00:00Z', 'x'])],
      // Well-formed parts of the wrong kind for the list (a bigint where a uuid is the key, and back).
      ['base64 of a bigint id', b64(['123'])], ['base64 of a uuid', b64(['3b241101-e2bb-4255-8caf-4136c566a962'])],
      ['base64 of a uuid and a date', b64(['3b241101-e2bb-4255-8caf-4136c566a962', '2026-11-22T00:00:00Z'])],
    ];
  }
  if (schema.type === 'number' || schema.type === 'integer') return [...common, ['negative', '-1'], ['zero', '0'], ['fraction', '1.5'], ['huge', '1e308'], ['words', 'ten']];
  if (schema.format === 'uuid') return [...common, ['not a uuid', 'nope']];
  if (schema.enum) return [...common, ['unknown member', 'no_such_value']];
  if (/date|asOf/i.test(name)) {
    return [...common, ['30 February', '2026-02-30'], ['30 February with a time', '2026-02-30T00:00:00Z'], ['month 13', '2026-13-01'], ['words', 'yesterday'], ['hour 25', '2026-11-21T25:00:00Z']];
  }
  // A free-text filter matching nothing is an empty page, not an error: only the transport attacks are strict.
  return [...common, ['any text (may match nothing)', 'no-such-thing']];
}
