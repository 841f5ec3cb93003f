import fc from 'fast-check';
import { CAMT_ARRAYS, parsePieceWithFxp } from '@modules/statements/parsers/camt053.parser';
import { readXmlPiece } from '@modules/statements/parsers/xml-piece-reader';

/**
 * The fast reader of camt pieces (xml-piece-reader.ts) against the fast-xml-parser path it
 * short-cuts: on generated entry pieces (amounts, references, nested TxDtls, prefixes, attributes,
 * whitespace, odd names, entities, comments, CDATA, and broken XML) the fast reader either gives
 * up (undefined: the slow path decides) or builds exactly what the slow path builds. It must not
 * give up on the plain pieces banks write, or it would save nothing.
 */

type Outcome = { ok: unknown } | { error: string };
const slow = (xml: string, prefix: string): Outcome => {
  try {
    return { ok: parsePieceWithFxp(xml, 'Stmt[1]/Ntry[1]', 1, prefix) };
  } catch (e) {
    return { error: (e as Error).message };
  }
};

// ---- a tree of elements, written out with a few spellings of the same XML
interface El {
  name: string;
  prefixed: boolean;
  attrs: readonly (readonly [string, string, '"' | "'"])[];
  body: string | El[];
}

const SPACE = fc.constantFrom('', ' ', '\n', '\n  ', '\t', '\r\n', '\r', '  \n    ');
const ODD_SPACE = fc.constantFrom('\u00a0', '\u2028', '\ufeff', ' \u00a0 ');
const AMOUNT = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 99 })).map(([u, c]) => `${u}.${String(c).padStart(2, '0')}`);
const REF = fc.stringMatching(/^[A-Z0-9][A-Z0-9/\-?:().,'+ ]{0,34}$/);
const TEXT = fc.oneof(
  AMOUNT,
  REF,
  fc.constantFrom('CRDT', 'DBIT', 'BOOK', 'true', 'NOTPROVIDED', '2026-11-30', '2026-11-30T10:30:00+08:00', '', '学费 TUITION', 'a > b', 'x ]]> y', '"quoted" \'single\''),
  fc.constantFrom('line 1\r\nline 2', 'a\rb\r', ' \r\n x \r\n '),
  fc.string({ maxLength: 12 }).filter((s) => !/[<&]/.test(s) && !s.includes('\u0000')),
  fc.string({ unit: 'binary', maxLength: 8 }).filter((s) => !/[<&]/.test(s) && !s.includes('\u0000')),
);
const HOSTILE_TEXT = fc.constantFrom('A &amp; B', '&lt;x&gt;', '&#x41;', '&bogus;', 'AT&T', '<!-- c -->x', '<![CDATA[a<b]]>', '<?pi x?>', '\u00a0x\u00a0', 'ü€𝄞');
const NAMES = fc.constantFrom(
  'Ntry', 'NtryRef', 'Amt', 'CdtDbtInd', 'Sts', 'Cd', 'Prtry', 'BookgDt', 'ValDt', 'Dt', 'DtTm', 'AcctSvcrRef', 'BkTxCd', 'Domn', 'Fmly', 'SubFmlyCd',
  'NtryDtls', 'TxDtls', 'Refs', 'EndToEndId', 'TxId', 'RmtInf', 'Ustrd', 'AddtlNtryInf', 'AddtlTxInf', 'RvslInd', 'AmtDtls', 'TxAmt', 'Bal', 'Stmt',
  'a.b-c', '_x', 'X1', 'isPrototypeOf', 'toLocaleString',
);
const ODD_NAMES = fc.constantFrom('constructor', 'toString', '__proto__', 'Prototype', 'ünï', '1bad', 'a:b', 'x:Amt');
const ATTR_VALUE = fc.oneof(fc.constantFrom('CNY', 'EUR', ' EUR ', '', 'a b', 'x\ny', 'x\r\ny\rz', "it's", 'say "hi"'), fc.string({ maxLength: 6 }).filter((s) => !/[<&"']/.test(s) && !s.includes('\u0000')));
const ATTR = fc.tuple(fc.constantFrom('Ccy', 'Ccy', 'Ccy', 'xmlns', 'id', 'Type', 'a-b', 'Ccy'), ATTR_VALUE, fc.constantFrom('"' as const, "'" as const));

function tree(hostile: boolean): fc.Arbitrary<El> {
  const name = hostile ? fc.oneof({ weight: 9, arbitrary: NAMES }, { weight: 1, arbitrary: ODD_NAMES }) : NAMES;
  const text = hostile ? fc.oneof({ weight: 6, arbitrary: TEXT }, { weight: 1, arbitrary: HOSTILE_TEXT }) : TEXT;
  const { el } = fc.letrec<{ el: El }>((tie) => ({
    el: fc.record({
      name,
      prefixed: fc.boolean(),
      attrs: fc.oneof({ weight: 4, arbitrary: fc.constant<El['attrs']>([]) }, { weight: 1, arbitrary: fc.array(ATTR, { maxLength: 2 }) }),
      body: fc.oneof({ depthSize: 'small', withCrossShrink: true }, text, fc.array(tie('el'), { maxLength: 4 })),
    }),
  }));
  return el;
}

interface Style {
  prefix: string;
  space: string[];
  selfClose: boolean;
  spaceInTag: string;
}

function write(e: El, s: Style, at = { i: 0 }): string {
  const ws = () => s.space[at.i++ % s.space.length];
  const tag = `${e.prefixed ? s.prefix : ''}${e.name}`;
  const attrs = e.attrs.map(([n, v, q]) => ` ${n}=${q}${v}${q}`).join('');
  if (s.selfClose && (e.body === '' || (Array.isArray(e.body) && e.body.length === 0))) return `<${tag}${attrs}${s.spaceInTag}/>`;
  const inner = typeof e.body === 'string' ? e.body : e.body.map((c) => ws() + write(c, s, at)).join('') + ws();
  return `<${tag}${attrs}${s.spaceInTag}>${inner}</${tag}>`;
}

const STYLE = fc.record({
  prefix: fc.constantFrom('', '', 'ns2:', 'camt:'),
  space: fc.array(fc.oneof({ weight: 8, arbitrary: SPACE }, { weight: 1, arbitrary: ODD_SPACE }), { minLength: 1, maxLength: 5 }),
  selfClose: fc.boolean(),
  spaceInTag: fc.constantFrom('', '', '', ' ', '\n'),
});

/** A camt entry as banks write it (the plain shape the fast reader must read). */
const ENTRY = fc
  .record({
    amount: AMOUNT,
    dir: fc.constantFrom('CRDT', 'DBIT'),
    ccy: fc.constantFrom('CNY', 'EUR'),
    ref: REF,
    status: fc.constantFrom('<Sts>BOOK</Sts>', '<Sts><Cd>BOOK</Cd></Sts>', '<Sts><Prtry>X</Prtry></Sts>'),
    reversal: fc.boolean(),
    txs: fc.array(fc.record({ ref: REF, e2e: fc.option(REF), amount: AMOUNT, ustrd: fc.array(REF, { maxLength: 3 }) }), { maxLength: 3 }),
    details: fc.integer({ min: 0, max: 2 }),
    nl: fc.constantFrom('', '\n', '\n      ', '\r\n      '),
    prefix: fc.constantFrom('', 'ns2:'),
  })
  .map((o) => {
    const p = o.prefix;
    const t = (name: string, v: string, attrs = '') => `${o.nl}<${p}${name}${attrs}>${v}</${p}${name}>`;
    const txs = o.txs.map(
      (x) =>
        t('TxDtls', t('Refs', t('AcctSvcrRef', x.ref) + (x.e2e === null ? '' : t('EndToEndId', x.e2e)) + t('TxId', x.ref)) + t('Amt', x.amount, ` Ccy="${o.ccy}"`) + t('CdtDbtInd', o.dir) + t('RmtInf', x.ustrd.map((u) => t('Ustrd', u)).join(''))),
    );
    const body =
      t('NtryRef', o.ref) +
      t('Amt', o.amount, ` Ccy="${o.ccy}"`) +
      t('CdtDbtInd', o.dir) +
      (o.reversal ? t('RvslInd', 'true') : '') +
      o.status.replaceAll('<', `${o.nl}<`).replaceAll(`${o.nl}</`, '</').replaceAll('<S', `<${p}S`).replaceAll('<C', `<${p}C`).replaceAll('<P', `<${p}P`).replaceAll('</', `</${p}`) +
      t('BookgDt', t('DtTm', '2026-11-30T10:30:00+08:00')) +
      t('ValDt', t('Dt', '2026-11-30')) +
      t('AcctSvcrRef', o.ref) +
      t('BkTxCd', t('Domn', t('Cd', 'PMNT') + t('Fmly', t('Cd', 'RCDT') + t('SubFmlyCd', 'ESCT')))) +
      (o.details ? Array.from({ length: o.details }, () => t('NtryDtls', txs.join(''))).join('') : '') +
      t('AddtlNtryInf', `INFO ${o.ref}`);
    return { xml: `<${p}Ntry>${body}${o.nl}</${p}Ntry>`, prefix: p };
  });

/** Small damage to a piece: a character dropped, doubled or replaced by one that matters to XML. */
const DAMAGE = fc.tuple(fc.nat(), fc.constantFrom('drop', 'double', '<', '>', '/', '"', "'", '=', ' ', '&', ':', 'x'));
function damage(xml: string, [at, what]: [number, string]): string {
  const i = at % xml.length;
  if (what === 'drop') return xml.slice(0, i) + xml.slice(i + 1);
  if (what === 'double') return xml.slice(0, i) + xml[i] + xml.slice(i);
  return xml.slice(0, i) + what + xml.slice(i + 1);
}

describe('the fast camt piece reader builds what fast-xml-parser builds, or leaves the piece to it', () => {
  const RUNS = 3000;

  it('reads every plain generated entry itself, identically', () => {
    fc.assert(
      fc.property(ENTRY, ({ xml, prefix }) => {
        const fast = readXmlPiece(xml, prefix, CAMT_ARRAYS);
        expect(fast).toBeDefined();
        expect({ ok: fast }).toStrictEqual(slow(xml, prefix));
      }),
      { numRuns: RUNS },
    );
  });

  it('on generated element trees (odd names, attributes, entities, comments, whitespace): same object or undefined', () => {
    let read = 0;
    fc.assert(
      fc.property(tree(true), STYLE, (root, style) => {
        const xml = write({ ...root, name: 'Ntry' }, style);
        const fast = readXmlPiece(xml, style.prefix, CAMT_ARRAYS);
        if (fast === undefined) return;
        read++;
        expect({ ok: fast }).toStrictEqual(slow(xml, style.prefix));
      }),
      { numRuns: RUNS },
    );
    expect(read).toBeGreaterThan(RUNS / 4);
  });

  it('never accepts a damaged piece the slow path refuses, and agrees when it reads one', () => {
    fc.assert(
      fc.property(fc.oneof(ENTRY, fc.tuple(tree(false), STYLE).map(([r, s]) => ({ xml: write(r, s), prefix: s.prefix }))), fc.array(DAMAGE, { minLength: 1, maxLength: 3 }), ({ xml, prefix }, hits) => {
        const broken = hits.reduce(damage, xml);
        const fast = readXmlPiece(broken, prefix, CAMT_ARRAYS);
        if (fast !== undefined) expect({ ok: fast }).toStrictEqual(slow(broken, prefix));
      }),
      { numRuns: RUNS },
    );
  });

  it('leaves to the slow path what it does not read', () => {
    for (const [xml, prefix] of [
      ['<Ntry><Amt Ccy="EUR">1.00</Amt><AddtlNtryInf>A &amp; B</AddtlNtryInf></Ntry>', ''],
      ['<Ntry><!-- c --><Amt Ccy="EUR">1.00</Amt></Ntry>', ''],
      ['<Ntry><Amt Ccy="EUR"><![CDATA[1.00]]></Amt></Ntry>', ''],
      ['<Ntry><Amt Ccy="EUR" Ccy="CNY">1.00</Amt></Ntry>', ''],
      ['<Ntry><Amt Ccy=EUR>1.00</Amt></Ntry>', ''],
      ['<Ntry><Amt Ccy = "EUR">1.00</Amt></Ntry>', ''],
      ['<Ntry><Amt Ccy="E>UR">1.00</Amt></Ntry>', ''],
      ['<Ntry><x:Amt Ccy="EUR">1.00</x:Amt></Ntry>', ''],
      ['<ns2:Ntry><Amt>1</Amt></ns2:Ntry>', 'camt:'],
      ['<Ntry><Amt>1</Amt ></Ntry>', ''],
      ['<Ntry><Amt>1</Amt></Ntry>x', ''],
      ['<Ntry><Amt>1</Amt></Ntry><Ntry/>', ''],
      ['<Ntry><Amt>1<Cd>x</Cd></Amt></Ntry>', ''],
      ['<Ntry><constructor>1</constructor></Ntry>', ''],
      ['<Ntry><Amt>1</Amt>', ''],
      ['<Ntry><Amt>1</Cd></Ntry>', ''],
      [`${'<A>'.repeat(60)}x${'</A>'.repeat(60)}`, ''],
    ]) {
      expect([xml, readXmlPiece(xml, prefix, CAMT_ARRAYS)]).toEqual([xml, undefined]);
    }
  });
});
