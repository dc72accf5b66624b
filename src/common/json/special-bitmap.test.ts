import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MODULE_BYTES, SpecialBitmap, WINDOW_BYTES } from "./special-bitmap.js";
import { chunkViewOf, nextStringSpecial } from "./string-skip.js";

/** naive is the byte-at-a-time definition next() must match. */
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

const bitmap = SpecialBitmap.create();

// Mostly plain bytes, so runs cross many bitmap words before something special.
const byte = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0x23, max: 0x5b }) },
  { weight: 30, arbitrary: fc.integer({ min: 0x5d, max: 0xff }) },
  { weight: 2, arbitrary: fc.constantFrom(0x00, 0x1f, 0x20, 0x21, 0x22, 0x5c, 0x7f, 0x80, 0xa2, 0xdc) },
);

describe("SpecialBitmap", () => {
  it("is a valid module on this Node", () => {
    expect(bitmap).toBeDefined();
    expect(MODULE_BYTES.length).toBeLessThan(1024);
  });

  it.each([
    { name: "quote after a long plain run", text: `${"a".repeat(100)}"`, want: 100 },
    { name: "backslash", text: `${"b".repeat(70)}\\n`, want: 70 },
    { name: "control byte", text: `${"c".repeat(80)}\u0001`, want: 80 },
    { name: "DEL and non-ASCII are plain", text: `${"\u007f".repeat(40)}${"é".repeat(40)}"`, want: 120 },
    { name: "space, '!' and '#' are plain", text: `${" !#".repeat(30)}"`, want: 90 },
    { name: "special at bit 31 of a word", text: `${"d".repeat(31)}"`, want: 31 },
    { name: "special at bit 0 of the second word", text: `${"d".repeat(32)}"`, want: 32 },
    { name: "nothing special", text: "x".repeat(200), want: 200 },
  ])("$name", ({ text, want }) => {
    for (let pad = 0; pad < 4; pad++) {
      const bytes = placed(Buffer.from(text), pad);
      bitmap!.prepare(bytes, 0, bytes.length);
      expect(bitmap!.next(0, bytes.length)).toBe(want);
    }
  });

  it("matches the byte-at-a-time definition for any bytes, window, start, end and alignment", () => {
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 400 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 255 }),
        (raw, f, t, a, b, pad, stale) => {
          // Whatever an earlier, longer window left in memory must not show through.
          bitmap!.prepare(new Uint8Array(512).fill(stale), 0, 512);
          const bytes = placed(Uint8Array.from(raw), pad);
          const cut = (x: number, y: number) =>
            [x % (bytes.length + 1), y % (bytes.length + 1)].sort((p, q) => p - q) as [number, number];
          const [from, to] = cut(f, t);
          bitmap!.prepare(bytes, from, to);
          const [start, end] = [from + (a % (to - from + 1)), from + (b % (to - from + 1))].sort((p, q) => p - q) as [
            number,
            number,
          ];
          expect(bitmap!.next(start, end)).toBe(naive(bytes, start, end));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("classifies a whole window", () => {
    const bytes = new Uint8Array(WINDOW_BYTES + 10).fill(0x61);
    bytes[WINDOW_BYTES - 1] = 0x22;
    bytes[WINDOW_BYTES] = 0x5c;
    bitmap!.prepare(bytes, 0, WINDOW_BYTES);
    expect(bitmap!.next(0, WINDOW_BYTES)).toBe(WINDOW_BYTES - 1);
    expect(bitmap!.next(WINDOW_BYTES - 1, WINDOW_BYTES)).toBe(WINDOW_BYTES - 1);
    bitmap!.prepare(bytes, 10, WINDOW_BYTES + 10);
    expect(bitmap!.next(10, WINDOW_BYTES + 10)).toBe(WINDOW_BYTES - 1);
    expect(bitmap!.next(WINDOW_BYTES, WINDOW_BYTES + 10)).toBe(WINDOW_BYTES);
    expect(bitmap!.next(WINDOW_BYTES + 1, WINDOW_BYTES + 10)).toBe(WINDOW_BYTES + 10);
  });

  it("agrees with the scalar skipper (nextStringSpecial)", () => {
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 400 }), fc.integer({ min: 0, max: 7 }), (raw, pad) => {
        const bytes = placed(Uint8Array.from(raw), pad);
        bitmap!.prepare(bytes, 0, bytes.length);
        const view = chunkViewOf(bytes);
        for (let i = 0; i < bytes.length; i++) {
          expect(bitmap!.next(i, bytes.length)).toBe(nextStringSpecial(view, i, bytes.length));
        }
      }),
      { numRuns: 300 },
    );
  });
});
