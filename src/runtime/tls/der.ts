/**
 * A minimal DER encoder: just the ASN.1 types an X.509 v3 certificate needs. Node can parse
 * certificates (X509Certificate) and sign bytes, but cannot build a certificate, and adding a
 * dependency for ~100 lines of encoding is not worth it.
 */

/** Der is one encoded ASN.1 value (tag, length and content). */
export type Der = Uint8Array;

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** tlv encodes one value from its tag byte and content. */
export function tlv(tag: number, content: Uint8Array): Der {
  const len = lengthBytes(content.length);
  const out = new Uint8Array(1 + len.length + content.length);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** sequence encodes SEQUENCE { ...items }. */
export function sequence(...items: Der[]): Der {
  return tlv(0x30, concat(items));
}

/** set encodes SET { ...items } (callers pass one item, so DER's sort order does not arise). */
export function set(...items: Der[]): Der {
  return tlv(0x31, concat(items));
}

/** explicit wraps a value in a constructed context tag [n] EXPLICIT. */
export function explicit(n: number, value: Der): Der {
  return tlv(0xa0 | n, value);
}

/** implicitPrimitive encodes a primitive context tag [n] IMPLICIT with raw content. */
export function implicitPrimitive(n: number, content: Uint8Array): Der {
  return tlv(0x80 | n, content);
}

/** integer encodes a non-negative INTEGER from big-endian magnitude bytes, minimally. */
export function integer(magnitude: Uint8Array): Der {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const needsPad = trimmed.length === 0 || (trimmed[0]! & 0x80) !== 0;
  return tlv(0x02, needsPad ? concat([Uint8Array.of(0), trimmed]) : trimmed);
}

/** smallInteger encodes a small non-negative number as INTEGER. */
export function smallInteger(n: number): Der {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return integer(Uint8Array.from(bytes.length ? bytes : [0]));
}

/** oid encodes an OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Der {
  const arcs = dotted.split(".").map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new Error(`bad OID ${dotted}`);
  const out: number[] = [];
  const push = (arc: number) => {
    const groups: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift(0x80 | (v & 0x7f));
    out.push(...groups);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return tlv(0x06, Uint8Array.from(out));
}

const text = new TextEncoder();

/** utf8String encodes UTF8String. */
export function utf8String(s: string): Der {
  return tlv(0x0c, text.encode(s));
}

/** bitString encodes BIT STRING with the given number of unused trailing bits. */
export function bitString(content: Uint8Array, unusedBits = 0): Der {
  return tlv(0x03, concat([Uint8Array.of(unusedBits), content]));
}

/** octetString encodes OCTET STRING. */
export function octetString(content: Uint8Array): Der {
  return tlv(0x04, content);
}

/** boolean encodes BOOLEAN. */
export function boolean(v: boolean): Der {
  return tlv(0x01, Uint8Array.of(v ? 0xff : 0x00));
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * time encodes a validity time as RFC 5280 requires: UTCTime (YYMMDDHHMMSSZ) through 2049,
 * GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050, always UTC with whole seconds.
 */
export function time(date: Date): Der {
  const y = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(0x17, text.encode(`${pad(y % 100)}${rest}`));
  return tlv(0x18, text.encode(`${pad(y, 4)}${rest}`));
}
