import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkViewOf, hasStringSpecial, skipPlainString } from "./string-skip.js";

/** naive is the byte-at-a-time definition skipPlainString must match. */
function naive(bytes: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c === 0x22 || c === 0x5c) return i;
  }
  return end;
}

/** placed copies bytes into a larger buffer at `pad`, so the view starts at any alignment. */
function placed(bytes: Uint8Array, pad: number): Uint8Array {
  const backing = new Uint8Array(bytes.length + pad + 3);
  backing.set(bytes, pad);
  return backing.subarray(pad, pad + bytes.length);
}

describe("skipPlainString", () => {
  it.each([
    { name: "quote after a long plain run", text: `${"a".repeat(100)}"`, want: 100 },
    { name: "backslash in a word", text: `${"b".repeat(70)}\\n`, want: 70 },
    { name: "control byte", text: `${"c".repeat(80)}\u0001`, want: 80 },
    { name: "DEL and non-ASCII are plain", text: `${"\u007f".repeat(40)}${"é".repeat(40)}"`, want: 120 },
    { name: "space and '!' and '#' are plain (next to the quote)", text: `${" !#".repeat(30)}"`, want: 90 },
    { name: "nothing special", text: "x".repeat(200), want: 200 },
  ])("$name", ({ text, want }) => {
    for (let pad = 0; pad < 4; pad++) {
      const bytes = placed(Buffer.from(text), pad);
      expect(skipPlainString(chunkViewOf(bytes), 0, bytes.length)).toBe(want);
    }
  });

  it("matches the byte-at-a-time definition for any bytes, start, end and alignment", () => {
    // Mostly plain bytes, so long runs cross many words before something special.
    const byte = fc.oneof(
      { weight: 30, arbitrary: fc.integer({ min: 0x23, max: 0x5b }) },
      { weight: 30, arbitrary: fc.integer({ min: 0x5d, max: 0xff }) },
      { weight: 1, arbitrary: fc.constantFrom(0x00, 0x1f, 0x20, 0x21, 0x22, 0x5c, 0x7f, 0x80) },
    );
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 300 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (raw, a, b, pad) => {
          const bytes = placed(Uint8Array.from(raw), pad);
          const [start, end] = [a % (bytes.length + 1), b % (bytes.length + 1)].sort((x, y) => x - y) as [
            number,
            number,
          ];
          expect(skipPlainString(chunkViewOf(bytes), start, end)).toBe(naive(bytes, start, end));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("hasStringSpecial is exact for any word", () => {
    const special = (b: number) => b < 0x20 || b === 0x22 || b === 0x5c;
    const byte = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(0x00, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x80, 0xa2, 0xdc, 0xff),
    );
    fc.assert(
      fc.property(fc.tuple(byte, byte, byte, byte), (b) => {
        const word = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24) | 0;
        expect(hasStringSpecial(word)).toBe(b.some(special));
      }),
      { numRuns: 5000 },
    );
  });
});
