/**
 * ChunkView is a chunk with the two word views string skipping reads it through: a DataView
 * for unaligned 4-byte reads anywhere, and an Int32Array over the 4-byte-aligned middle
 * (words[w] holds bytes [base + 4w, base + 4w + 4)), which is faster for long runs.
 */
export interface ChunkView {
  readonly bytes: Uint8Array;
  readonly data: DataView;
  readonly words: Int32Array;
  readonly base: number;
}

const NO_WORDS = new Int32Array(0);

// Below this a chunk is not worth an aligned view.
const MIN_WORD_SCAN_BYTES = 64;

/** chunkViewOf builds the views of a chunk (once per chunk). */
export function chunkViewOf(bytes: Uint8Array): ChunkView {
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < MIN_WORD_SCAN_BYTES) return { bytes, data, words: NO_WORDS, base: 0 };
  const base = (4 - (bytes.byteOffset & 3)) & 3;
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + base, (bytes.length - base) >> 2);
  return { bytes, data, words, base };
}

// SWAR constants as int32 (0x80808080 does not fit a small integer).
const HIGH_BITS = 0x80808080 | 0;
const ONES = 0x01010101;
const XOR_QUOTE_TO_SPACE = 0x02020202;
const BELOW_0X21 = 0x21212121;
const BACKSLASHES = 0x5c5c5c5c;

// PLAIN[c] is 1 for bytes that may stand raw in a JSON string.
const PLAIN = new Uint8Array(256).fill(1, 0x20);
PLAIN[0x22] = 0;
PLAIN[0x5c] = 0;

/**
 * hasStringSpecial tells whether any of the four bytes in x ends a run of plain string
 * content: a quote, a backslash or a control byte (< 0x20, which JSON forbids raw). Bytes
 * >= 0x80 are plain: JSON.parse accepts any character in a string, and an invalid UTF-8
 * sequence decodes to U+FFFD rather than failing.
 *
 * x ^ 0x02 maps the quote (0x22) to 0x20 and keeps control bytes below 0x20, so one "some byte
 * < 0x21" test finds both, and a zero-byte test on x ^ 0x5c finds backslashes. Both tests are
 * exact (no false hits): the borrows they rely on start only at a byte that matched.
 */
export function hasStringSpecial(x: number): boolean {
  const y = x ^ XOR_QUOTE_TO_SPACE;
  const z = x ^ BACKSLASHES;
  return ((((y - BELOW_0X21) & ~y) | ((z - ONES) & ~z)) & HIGH_BITS) !== 0;
}

/** isPlainStringByte is hasStringSpecial for one byte, negated. */
export function isPlainStringByte(c: number): boolean {
  return PLAIN[c] === 1;
}

/**
 * skipPlainString returns the index of the first byte in [i, end) that is not plain string
 * content (see hasStringSpecial), or `end`. It reads aligned words, which pays off for long
 * runs (prose, base64); callers test the first few bytes of a run themselves.
 */
export function skipPlainString(view: ChunkView, i: number, end: number): number {
  const { bytes, words, base } = view;
  let w = Math.max(0, (i - base + 3) >> 2);
  const wordEnd = Math.min((end - base) >> 2, words.length);
  if (w < wordEnd) {
    // The few bytes before the first whole word.
    for (const lead = base + (w << 2); i < lead; i++) if (PLAIN[bytes[i]!] === 0) return i;
    for (; w < wordEnd; w++) {
      const x = words[w]!;
      if (hasStringSpecial(x)) break;
    }
    i = base + (w << 2);
  }
  for (; i < end; i++) if (PLAIN[bytes[i]!] === 0) return i;
  return end;
}

// A run shorter than this is probed with unaligned reads (see nextStringSpecial).
const SHORT_RUN_BYTES = 64;

/**
 * nextStringSpecial returns the index of the first byte in [i, end) that is not plain string
 * content, or `end`. Runs between escapes are short in code and chat (tens of bytes): the
 * first bytes of a run go four at a time through unaligned reads, which need no set-up; a run
 * still going after that is long (prose, base64) and continues on aligned words.
 */
export function nextStringSpecial(view: ChunkView, i: number, end: number): number {
  const { bytes, data } = view;
  const probeEnd = i + SHORT_RUN_BYTES + 4 <= end ? i + SHORT_RUN_BYTES : end - 4;
  while (i <= probeEnd && !hasStringSpecial(data.getInt32(i, true))) i += 4;
  if (i > probeEnd) return skipPlainString(view, i, end);
  while (PLAIN[bytes[i]!] === 1) i++;
  return i;
}
