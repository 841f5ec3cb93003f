/**
 * A strict reader for the common shape of a camt.053 piece (one `<Ntry>`, a statement's head or
 * tail) that builds exactly the object fast-xml-parser builds with the options of
 * camt053.parser.ts, without the validator's and the parser's generality: validating and parsing
 * each ~600-byte entry with fast-xml-parser was most of an import's time (bench:
 * bench/statement-parse.bench.ts, about 170 → 30 µs per camt entry end to end).
 *
 * It reads only plain elements: names of ASCII letters, digits, `_ . -` (unprefixed or with the
 * statement's own prefix), attributes `name="value"` / `name='value'` without `& <`, text without
 * `&` and no mixed content. On anything else (an entity or `&`, `<!` comments, CDATA or DOCTYPE,
 * `<?`, another namespace prefix, a name fast-xml-parser refuses, spaces around `=` or in a closing tag, a
 * repeated attribute, a mismatched or unclosed tag, text outside the element, deep nesting) it
 * returns undefined and the caller takes the fast-xml-parser path, which then produces the same
 * result, or the same error message, as before. test/unit/xml-piece-reader.spec.ts compares the
 * two on generated pieces.
 */
export type XmlNode = Record<string, unknown>;

interface Frame {
  /** The tag as written (with its prefix): the closing tag must repeat it. */
  raw: string;
  /** The name without the statement's prefix: the key in the parent. */
  name: string;
  node: XmlNode;
  text: string;
  children: boolean;
  attributes: boolean;
}

const NAME = /^[A-Za-z_][\w.-]*$/;
/** Names fast-xml-parser refuses (prototype pollution guard), compared case-insensitively as it does. */
const RESERVED = /^(?:hasownproperty|tostring|valueof|__definegetter__|__definesetter__|__lookupgetter__|__lookupsetter__|__proto__|constructor|prototype)$/i;
const ATTRIBUTE = /[ \t\r\n]+([A-Za-z_][\w.-]*)=(?:"([^"<&]*)"|'([^'<&]*)')/y;
const ONLY_SPACE = /^[ \t\r\n]*$/;
/** fast-xml-parser refuses nesting beyond 100; a camt entry is never half as deep. */
const MAX_DEPTH = 40;

type NameCache = Map<string, string | null>;
/** Names repeat endlessly: each is checked once per prefix (bounded, so a hostile file cannot grow it). */
const nameCaches = new Map<string, NameCache>();
let cachedNames = 0;

function cacheOf(prefix: string): NameCache {
  let cache = nameCaches.get(prefix);
  if (!cache) {
    cache = new Map();
    if (nameCaches.size < 64) nameCaches.set(prefix, cache);
  }
  return cache;
}

/** The key of a tag or attribute name (without `prefix`), or null when the fast path does not read it. */
function keyOf(raw: string, prefix: string, cache: NameCache): string | null {
  const known = cache.get(raw);
  if (known !== undefined) return known;
  const local = prefix && raw.startsWith(prefix) ? raw.slice(prefix.length) : raw;
  const key = NAME.test(local) && !RESERVED.test(local) ? local : null;
  if (cachedNames < 4096) {
    cachedNames++;
    cache.set(raw, key);
  }
  return key;
}

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

function put(parent: XmlNode, name: string, value: unknown, arrays: ReadonlySet<string>): void {
  if (arrays.has(name)) {
    const existing = parent[name];
    if (Array.isArray(existing)) existing.push(value);
    else parent[name] = [value];
  } else if (!Object.hasOwn(parent, name)) parent[name] = value;
  else {
    const existing = parent[name];
    if (Array.isArray(existing)) existing.push(value);
    else parent[name] = [existing, value];
  }
}

/** Attributes of an opening tag (the text after its name) into node; false when not plain. */
function readAttributes(spec: string, node: XmlNode, names: NameCache): boolean {
  ATTRIBUTE.lastIndex = 0;
  let end = 0;
  for (let m = ATTRIBUTE.exec(spec); m; m = ATTRIBUTE.exec(spec)) {
    // Only unprefixed attributes (a prefixed one is in its own namespace, never stripped by the slow path).
    if (keyOf(m[1], '', names) === null) return false;
    const key = `@_${m[1]}`;
    if (Object.hasOwn(node, key)) return false; // repeated: the validator's error
    node[key] = (m[2] ?? m[3]).trim();
    end = ATTRIBUTE.lastIndex;
  }
  return ONLY_SPACE.test(spec.slice(end));
}

/**
 * The object fast-xml-parser would build for `xml` (with `prefix`, e.g. `ns2:`, removed from the
 * tag names), or undefined when the piece is not of the plain shape read here.
 */
export function readXmlPiece(piece: string, prefix: string, arrays: ReadonlySet<string>): XmlNode | undefined {
  if (piece.includes('&')) return undefined;
  // Line ends as fast-xml-parser reads them (in text and attribute values too).
  const xml = piece.includes('\r') ? piece.replace(/\r\n?/g, '\n') : piece;
  const names = cacheOf(prefix);
  const attributeNames = cacheOf('');
  const root: XmlNode = {};
  const stack: Frame[] = [];
  let rootClosed = false;
  let lt = xml.indexOf('<');
  if (lt < 0 || !ONLY_SPACE.test(xml.slice(0, lt))) return undefined;
  while (lt >= 0) {
    const gt = xml.indexOf('>', lt + 1);
    if (gt < 0) return undefined;
    let closed: Frame | undefined;
    let value: unknown;
    if (xml.charCodeAt(lt + 1) === 47 /* / */) {
      closed = stack.pop();
      if (!closed || gt !== lt + 2 + closed.raw.length || !xml.startsWith(closed.raw, lt + 2)) return undefined;
      const text = closed.text.trim();
      if (closed.children) {
        if (text) return undefined; // mixed content
        value = closed.node;
      } else if (closed.attributes) {
        if (text) closed.node['#text'] = text;
        value = closed.node;
      } else value = text;
    } else {
      if (rootClosed) return undefined;
      const selfClosing = xml.charCodeAt(gt - 1) === 47; /* / */
      const end = selfClosing ? gt - 1 : gt;
      let space = lt + 1;
      while (space < end && !isSpace(xml.charCodeAt(space))) space++;
      const raw = xml.slice(lt + 1, space);
      if (raw.includes(':') && !(prefix && raw.startsWith(prefix))) return undefined;
      const name = keyOf(raw, prefix, names);
      if (name === null) return undefined;
      const node: XmlNode = {};
      let attributes = false;
      if (space < end) {
        const rest = xml.slice(space, end);
        attributes = !ONLY_SPACE.test(rest);
        if (attributes && !readAttributes(rest, node, attributeNames)) return undefined;
      }
      if (selfClosing) {
        closed = { raw, name, node, text: '', children: false, attributes };
        value = attributes ? node : '';
      } else {
        if (stack.length >= MAX_DEPTH) return undefined;
        stack.push({ raw, name, node, text: '', children: false, attributes });
      }
    }
    if (closed) {
      const parent = stack.length ? stack[stack.length - 1] : undefined;
      if (parent) parent.children = true;
      else rootClosed = true;
      put(parent ? parent.node : root, closed.name, value, arrays);
    }
    const next = xml.indexOf('<', gt + 1);
    if (next !== gt + 1) {
      const text = next < 0 ? xml.slice(gt + 1) : xml.slice(gt + 1, next);
      const frame = stack.length ? stack[stack.length - 1] : undefined;
      if (!frame) {
        if (!ONLY_SPACE.test(text)) return undefined;
      } else if (frame.children) {
        if (text.trim()) return undefined; // mixed content
      } else frame.text = text; // the one run of text before the first child or the closing tag
    }
    lt = next;
  }
  return rootClosed && !stack.length ? root : undefined;
}
