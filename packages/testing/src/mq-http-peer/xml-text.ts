/**
 * Escapes text for an XML element or attribute value: the five markup characters and carriage
 * returns (a conforming parser would otherwise turn `\r\n` into `\n`).
 */
export function escapeXmlText(text: string): string {
  return text.replace(/[&<>"'\r]/g, (char) => ESCAPES[char] ?? char);
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#13;',
};

/**
 * Wraps text in a CDATA section that any parser reads back unchanged, even when the text holds
 * `]]>`: that sequence would end the section early, so it is split across two sections.
 */
export function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/** `<name>escaped text</name>`. */
export function textElement(name: string, text: string): string {
  return `<${name}>${escapeXmlText(text)}</${name}>`;
}
