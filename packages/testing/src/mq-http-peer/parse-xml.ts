/** One element of a parsed document: its name, attributes, child elements and direct text. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** The element's own character data (text and CDATA sections, entities decoded), unchanged. */
  readonly text: string;
}

/** Thrown by {@link parseXml} when the input is not well-formed XML. */
export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
}

const NAME = /[A-Za-z_:][\w.:-]*/y;
const ATTRIBUTE = /\s+([A-Za-z_:][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Parses a well-formed XML document into its root element, or throws {@link XmlSyntaxError}.
 *
 * Strict where the MQ HTTP protocol needs it: a stray `]]>` in text (what the SDK writes when a
 * body holds `]]>`), an unclosed tag or trailing content is rejected. Document type declarations
 * are refused rather than expanded. Line endings are kept as sent, so bodies round-trip.
 */
export function parseXml(input: string): XmlElement {
  const reader = new Reader(input.startsWith('\uFEFF') ? input.slice(1) : input);
  reader.skipMisc();
  const root = reader.element();
  reader.skipMisc();
  if (!reader.done()) reader.fail('content after the root element');
  return root;
}

class Reader {
  private at = 0;

  constructor(private readonly input: string) {}

  done(): boolean {
    return this.at >= this.input.length;
  }

  fail(what: string): never {
    throw new XmlSyntaxError(`malformed XML at offset ${this.at}: ${what}`);
  }

  /** Skips whitespace, comments and processing instructions (including the XML declaration). */
  skipMisc(): void {
    for (;;) {
      while (/\s/.test(this.input[this.at] ?? '')) this.at += 1;
      if (this.input.startsWith('<?', this.at)) this.skipPast('?>');
      else if (this.input.startsWith('<!--', this.at)) this.skipPast('-->');
      else if (this.input.startsWith('<!DOCTYPE', this.at))
        this.fail('document type declarations are not accepted');
      else return;
    }
  }

  element(): XmlElement {
    if (this.input[this.at] !== '<') this.fail('expected an element');
    this.at += 1;
    const name = this.name();
    const attributes = new Map<string, string>();
    for (;;) {
      ATTRIBUTE.lastIndex = this.at;
      const match = ATTRIBUTE.exec(this.input);
      if (match === null) break;
      const [whole, key = '', doubleQuoted, singleQuoted] = match;
      if (attributes.has(key)) this.fail(`attribute ${key} appears twice`);
      attributes.set(key, decodeEntities(doubleQuoted ?? singleQuoted ?? '', this));
      this.at += whole.length;
    }
    while (/\s/.test(this.input[this.at] ?? '')) this.at += 1;
    if (this.input.startsWith('/>', this.at)) {
      this.at += 2;
      return { name, attributes, children: [], text: '' };
    }
    if (this.input[this.at] !== '>') this.fail(`expected ">" to end <${name}>`);
    this.at += 1;
    return this.content(name, attributes);
  }

  private content(name: string, attributes: ReadonlyMap<string, string>): XmlElement {
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (this.done()) this.fail(`<${name}> is not closed`);
      if (this.input.startsWith('</', this.at)) {
        this.at += 2;
        const closing = this.name();
        while (/\s/.test(this.input[this.at] ?? '')) this.at += 1;
        if (closing !== name || this.input[this.at] !== '>') this.fail(`expected </${name}>`);
        this.at += 1;
        return { name, attributes, children, text };
      }
      if (this.input.startsWith('<![CDATA[', this.at)) {
        const end = this.input.indexOf(']]>', this.at + 9);
        if (end < 0) this.fail('unterminated CDATA section');
        text += this.input.slice(this.at + 9, end);
        this.at = end + 3;
      } else if (this.input.startsWith('<!--', this.at)) {
        this.skipPast('-->');
      } else if (this.input.startsWith('<?', this.at)) {
        this.skipPast('?>');
      } else if (this.input[this.at] === '<') {
        children.push(this.element());
      } else {
        const next = this.input.indexOf('<', this.at);
        const raw = this.input.slice(this.at, next < 0 ? this.input.length : next);
        if (raw.includes(']]>')) this.fail('"]]>" is not allowed in text (an unescaped CDATA end)');
        text += decodeEntities(raw, this);
        this.at += raw.length;
      }
    }
  }

  private name(): string {
    NAME.lastIndex = this.at;
    const match = NAME.exec(this.input);
    if (match === null) this.fail('expected a name');
    this.at += match[0].length;
    return match[0];
  }

  private skipPast(terminator: string): void {
    const end = this.input.indexOf(terminator, this.at);
    if (end < 0) this.fail(`expected "${terminator}"`);
    this.at = end + terminator.length;
  }
}

function decodeEntities(raw: string, reader: Reader): string {
  return raw.replace(/&([^;&\s]*);?/g, (whole, reference: string) => {
    if (!whole.endsWith(';')) reader.fail(`"&" must start an entity reference (found "${whole}")`);
    const predefined = PREDEFINED[reference];
    if (predefined !== undefined) return predefined;
    const code = /^#x[0-9a-f]+$/i.test(reference)
      ? Number.parseInt(reference.slice(2), 16)
      : /^#\d+$/.test(reference)
        ? Number.parseInt(reference.slice(1), 10)
        : undefined;
    if (code === undefined || code > 0x10ffff) reader.fail(`unknown entity "${whole}"`);
    return String.fromCodePoint(code);
  });
}
