/**
 * A WebAssembly SIMD classifier for string skipping, assembled here from its instructions (no
 * toolchain, no binary file): `classify(length)` reads `length` bytes at address 0 of its memory
 * and writes one bit per byte at BITMAP_ADDRESS, set where the byte ends plain string content
 * (a quote, a backslash or a control byte < 0x20; see hasStringSpecial). Sixteen bytes cost
 * five vector instructions, and the scanner then crosses plain runs 32 bytes per bitmap word.
 */

/** WINDOW_BYTES is the most bytes one classify call takes (a bigger chunk goes in windows). */
export const WINDOW_BYTES = 64 * 1024;
const BITMAP_ADDRESS = WINDOW_BYTES;
const PAGES = 2; // the window, then its bitmap (WINDOW_BYTES / 8)

// Opcodes used below (WebAssembly core 2.0, with the fixed-width SIMD proposal).
const BLOCK = 0x02;
const LOOP = 0x03;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_STORE = 0x36;
const I32_GE_U = 0x4f;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I32_OR = 0x72;
const I32_SHR_U = 0x76;
const SIMD = 0xfd; // prefix; the SIMD opcodes below follow it (all < 0x80, so one LEB byte)
const V128_LOAD = 0x00;
const V128_CONST = 0x0c;
const I8X16_EQ = 0x23;
const I8X16_LT_U = 0x26;
const V128_OR = 0x50;
const I8X16_BITMASK = 0x64;
const I32 = 0x7f;
const V128 = 0x7b;

// Locals: the parameter, then the declared ones.
const LENGTH = 0;
const AT = 1;
const VECTOR = 2;

/** uleb encodes an unsigned LEB128 integer. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** sleb encodes a signed LEB128 integer (i32.const immediates). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const splat = (byte: number): number[] => [SIMD, V128_CONST, ...new Array<number>(16).fill(byte)];

/** specialMask16 loads 16 bytes at AT + offset and leaves their 16-bit special mask. */
function specialMask16(offset: number): number[] {
  return [
    [LOCAL_GET, AT],
    [SIMD, V128_LOAD, 0, ...uleb(offset)], // alignment 2^0: chunks sit anywhere
    [LOCAL_TEE, VECTOR],
    splat(0x22),
    [SIMD, I8X16_EQ],
    [LOCAL_GET, VECTOR],
    splat(0x5c),
    [SIMD, I8X16_EQ],
    [SIMD, V128_OR],
    [LOCAL_GET, VECTOR],
    splat(0x20),
    [SIMD, I8X16_LT_U],
    [SIMD, V128_OR],
    [SIMD, I8X16_BITMASK],
  ].flat();
}

/** classify(LENGTH): for AT = 0, 32, … < LENGTH, bitmap word AT / 32 = mask(AT) | mask(AT + 16) << 16. */
const classifyBody = [
  [2, 1, I32, 1, V128], // locals: one i32 (AT), one v128 (VECTOR)
  [BLOCK, VOID],
  [LOOP, VOID],
  [LOCAL_GET, AT, LOCAL_GET, LENGTH, I32_GE_U, BR_IF, 1], // AT >= LENGTH: done
  [LOCAL_GET, AT, I32_CONST, 3, I32_SHR_U], // the word's address, less BITMAP_ADDRESS
  specialMask16(0),
  specialMask16(16),
  [I32_CONST, 16, I32_SHL, I32_OR],
  [I32_STORE, 2, ...uleb(BITMAP_ADDRESS)], // alignment 2^2, offset BITMAP_ADDRESS
  [LOCAL_GET, AT, I32_CONST, ...sleb(32), I32_ADD, LOCAL_SET, AT],
  [BR, 0],
  [END],
  [END],
  [END],
].flat();

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

/** MODULE_BYTES is the whole module: one function, one exported memory. */
export const MODULE_BYTES = Uint8Array.from([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...section(1, [1, 0x60, 1, I32, 0]), // type 0: (i32) -> ()
  ...section(3, [1, 0]), // function 0 has type 0
  ...section(5, [1, 0x00, PAGES]), // one memory, PAGES pages, no maximum
  ...section(7, [2, ...name("classify"), 0x00, 0, ...name("memory"), 0x02, 0]),
  ...section(10, [1, ...uleb(classifyBody.length), ...classifyBody]),
]);

/**
 * WebAssemblyApi is the part of the WebAssembly global used here (the project compiles against
 * the ES library alone, which does not declare it).
 */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

interface ClassifierExports {
  readonly classify: (length: number) => void;
  readonly memory: { readonly buffer: ArrayBuffer };
}

/**
 * SpecialBitmap finds string-ending bytes through the classifier. prepare() copies a window
 * of a chunk into the module's memory and classifies it; next() then answers from the bitmap.
 * One instance serves every scanner in the thread: each window is used before the next one is
 * prepared, since a scanner prepares and consumes a window within one synchronous feed.
 */
export class SpecialBitmap {
  private readonly input: Uint8Array;
  private readonly bits: Int32Array;
  private from = 0;

  private readonly classify: (length: number) => void;

  private constructor({ classify, memory }: ClassifierExports) {
    this.classify = classify;
    this.input = new Uint8Array(memory.buffer, 0, WINDOW_BYTES);
    this.bits = new Int32Array(memory.buffer, BITMAP_ADDRESS, WINDOW_BYTES / 32);
  }

  /** create instantiates the classifier, or returns undefined where WebAssembly SIMD is missing. */
  static create(): SpecialBitmap | undefined {
    const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (wasm === undefined || !wasm.validate(MODULE_BYTES)) return undefined;
    const instance = new wasm.Instance(new wasm.Module(MODULE_BYTES));
    return new SpecialBitmap(instance.exports as unknown as ClassifierExports);
  }

  /** prepare classifies chunk[from, to), at most WINDOW_BYTES. */
  prepare(chunk: Uint8Array, from: number, to: number): void {
    this.input.set(from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to));
    this.classify(to - from);
    this.from = from;
  }

  /**
   * next returns the index of the first special byte in [i, end), or end; [i, end) must lie in
   * the window last prepared.
   */
  next(i: number, end: number): number {
    const bits = this.bits;
    const k = i - this.from;
    const stop = end - this.from;
    let w = k >> 5;
    let word = bits[w]! & (-1 << (k & 31));
    while (word === 0) {
      if (++w << 5 >= stop) return end;
      word = bits[w]!;
    }
    // The lowest set bit: bits past the window's length are stale, so clamp to end.
    const at = (w << 5) + 31 - Math.clz32(word & -word);
    return at < stop ? at + this.from : end;
  }
}
