import { SpecialBitmap, WINDOW_BYTES } from "./special-bitmap.js";
import { type ChunkView, chunkViewOf, nextStringSpecial } from "./string-skip.js";

/** ValueKind is the JSON type of a top-level member's value. */
export type ValueKind = "string" | "number" | "true" | "false" | "null" | "object" | "array";

/**
 * MemberSpan locates one top-level member in the body by global byte offsets. Key offsets
 * exclude the quotes; value offsets cover the value exactly (a string's quotes included).
 */
export interface MemberSpan {
  readonly keyStart: number;
  readonly keyEnd: number;
  /** keyEscaped is true when the key contains a backslash escape. */
  readonly keyEscaped: boolean;
  readonly kind: ValueKind;
  readonly valueStart: number;
  readonly valueEnd: number;
  /** valueEscaped is true when a string value contains a backslash escape. */
  readonly valueEscaped: boolean;
}

/**
 * ScanVerdict is what the bytes fed so far are, were the body to end there:
 * - valid: a JSON document whose root is an object (exactly what JSON.parse accepts after
 *   TextDecoder, which drops one leading BOM);
 * - invalid: JSON.parse would throw;
 * - not-object: the root does not start with '{' (an array, a scalar or garbage); scanning
 *   stopped, and a full parse decides (it refuses the body either way).
 */
export type ScanVerdict = "valid" | "invalid" | "not-object";

/** DEFAULT_MAX_MEMBERS caps the members recorded; a body with more falls back to a full parse. */
export const DEFAULT_MAX_MEMBERS = 1000;

// Scanner states. A chunk may end anywhere, so every state is resumable.
const S_ROOT = 0; // before the root value: BOM (at offset 0 only) or whitespace
const S_BOM = 1; // inside the UTF-8 BOM; sub = bytes matched
const S_VALUE = 2; // a value is expected (after ':' or an array ',')
const S_ARRAY_FIRST = 3; // after '[': a value or ']'
const S_OBJECT_FIRST = 4; // after '{': a key or '}'
const S_KEY = 5; // after an object ',': a key
const S_COLON = 6;
const S_AFTER_VALUE = 7; // ',' or the closing bracket of the container
const S_STRING = 8;
const S_ESCAPE = 9; // after a backslash
const S_UNICODE = 10; // in \uXXXX; sub = hex digits still due
const S_NUMBER = 11; // sub = number sub-state
const S_LITERAL = 12; // in true/false/null; sub = bytes matched
const S_END = 13; // root closed: whitespace only
const S_INVALID = 14;
const S_NOT_OBJECT = 15;

// Number sub-states, following the JSON grammar -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
const N_MINUS = 0; // needs a digit
const N_ZERO = 1; // a leading 0: '.', 'e' or the end
const N_INT = 2;
const N_DOT = 3; // needs a digit
const N_FRAC = 4;
const N_EXP_MARK = 5; // needs a sign or digit
const N_EXP_SIGN = 6; // needs a digit
const N_EXP = 7;

// What a string is: a value or a key, and whether it belongs to the root object (recorded).
const STR_VALUE = 0;
const STR_KEY = 1;
const STR_ROOT_KEY = 2;

const CONTAINER_OBJECT = 1;
const CONTAINER_ARRAY = 2;

const TRUE_BYTES = new Uint8Array([0x74, 0x72, 0x75, 0x65]);
const FALSE_BYTES = new Uint8Array([0x66, 0x61, 0x6c, 0x73, 0x65]);
const NULL_BYTES = new Uint8Array([0x6e, 0x75, 0x6c, 0x6c]);

// HEX[c] is 1 for [0-9A-Fa-f]; ESCAPABLE[c] is 1 for the characters allowed after a backslash
// other than 'u'.
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;
const ESCAPABLE = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPABLE[c.charCodeAt(0)] = 1;

/**
 * StringClassifier chooses how string contents are crossed:
 * - "scalar": word reads in JavaScript (SWAR), everywhere;
 * - "simd": a WebAssembly SIMD bitmap of the chunk (see SpecialBitmap), for every chunk;
 * - "auto": the bitmap for chunks of MIN_BITMAP_CHUNK_BYTES or more where WebAssembly SIMD
 *   exists, else scalar. The default.
 * All three give the same answers; tests hold "simd" and "scalar" to the same properties.
 */
export type StringClassifier = "auto" | "simd" | "scalar";

// One classifier per thread, shared by every scanner (see SpecialBitmap).
const sharedBitmap = SpecialBitmap.create();

/** SIMD_AVAILABLE tells whether the "simd" classifier can run here. */
export const SIMD_AVAILABLE = sharedBitmap !== undefined;

// Below this, "auto" scans a chunk on the scalar path: copying and classifying it costs more
// than its few words.
const MIN_BITMAP_CHUNK_BYTES = 256;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * TopLevelScanner validates a JSON body byte by byte as chunks arrive, without joining or
 * decoding it, and records where each member of the root object lies. Nested values are
 * validated but not recorded; string contents, most of a body, are crossed from one quote,
 * backslash or control byte to the next (see StringClassifier). It accepts
 * exactly what `JSON.parse(new TextDecoder().decode(body))` accepts, at any nesting depth (V8's
 * JSON.parse is not recursive either), so a "valid" verdict needs no second pass.
 *
 * Work is O(bytes) per chunk with O(1) state carried between chunks; chunks are not kept.
 */
export class TopLevelScanner {
  private state = S_ROOT;
  private sub = 0;
  private literal: Uint8Array = TRUE_BYTES;
  private offset = 0;
  private depth = 0;
  private stack: Uint8Array = new Uint8Array(32);
  private stringRole = STR_VALUE;
  private stringEscaped = false;
  private stringStart = 0;
  // The member being read: its key, and where its value started.
  private keyStart = 0;
  private keyEnd = 0;
  private keyEscaped = false;
  private valueKind: ValueKind = "null";
  private valueStart = 0;
  private readonly recorded: MemberSpan[] = [];
  private overflowed = false;
  /** resume is where scanString stopped (a second return value, without an allocation). */
  private resume = 0;
  private readonly bitmap: SpecialBitmap | undefined;
  /** The chunk's word views, for the scalar classifier. */
  private view: ChunkView | undefined;

  /** The smallest chunk crossed through the bitmap. */
  private readonly minBitmapChunk: number;

  constructor(
    private readonly maxMembers = DEFAULT_MAX_MEMBERS,
    classifier: StringClassifier = "auto",
  ) {
    if (classifier === "simd" && sharedBitmap === undefined) throw new Error("WebAssembly SIMD is not available");
    this.bitmap = classifier === "scalar" ? undefined : sharedBitmap;
    this.minBitmapChunk = classifier === "simd" ? 0 : MIN_BITMAP_CHUNK_BYTES;
  }

  /** bytesFed is the number of bytes scanned so far. */
  get bytesFed(): number {
    return this.offset;
  }

  /** members are the root object's members in document order (duplicates included). */
  get members(): readonly MemberSpan[] {
    return this.recorded;
  }

  /** complete tells whether members holds every member (false past the member cap). */
  get complete(): boolean {
    return !this.overflowed;
  }

  /** verdict judges the bytes fed so far as a whole body; feeding may continue after. */
  verdict(): ScanVerdict {
    if (this.state === S_END) return "valid";
    return this.state === S_NOT_OBJECT ? "not-object" : "invalid";
  }

  /** feed scans the next chunk of the body. */
  feed(chunk: Uint8Array): void {
    const base = this.offset;
    this.offset += chunk.length;
    if (this.bitmap === undefined || chunk.length < this.minBitmapChunk) {
      this.view = chunkViewOf(chunk);
      this.run(chunk, 0, chunk.length, base);
      this.view = undefined;
      return;
    }
    for (let from = 0; from < chunk.length; from += WINDOW_BYTES) {
      if (this.state === S_INVALID || this.state === S_NOT_OBJECT) return;
      const to = Math.min(chunk.length, from + WINDOW_BYTES);
      this.bitmap.prepare(chunk, from, to);
      this.run(chunk, from, to, base);
    }
  }

  /** run scans chunk[from, end); `base` is the chunk's global offset. */
  private run(chunk: Uint8Array, from: number, end: number, base: number): void {
    if (this.state === S_INVALID || this.state === S_NOT_OBJECT) return;
    let state = this.state;
    let i = from;
    while (i < end) {
      const c = chunk[i]!;
      switch (state) {
        case S_STRING:
          state = this.scanString(chunk, i, end, base);
          i = this.resume;
          break;
        case S_AFTER_VALUE:
          if (c === 0x2c) {
            state = this.stack[this.depth - 1] === CONTAINER_OBJECT ? S_KEY : S_VALUE;
          } else if (c === 0x7d || c === 0x5d) {
            state = this.closeContainer(c, base + i + 1);
          } else if (!isWhitespace(c)) {
            state = S_INVALID;
          }
          i++;
          break;
        case S_VALUE:
        case S_ARRAY_FIRST:
          if (isWhitespace(c)) {
            i++;
          } else if (c === 0x5d && state === S_ARRAY_FIRST) {
            state = this.closeContainer(c, base + i + 1);
            i++;
          } else {
            state = this.startValue(c, base + i);
            i++;
          }
          break;
        case S_OBJECT_FIRST:
        case S_KEY:
          if (c === 0x22) {
            this.startString(this.depth === 1 ? STR_ROOT_KEY : STR_KEY, base + i);
            state = S_STRING;
          } else if (c === 0x7d && state === S_OBJECT_FIRST) {
            state = this.closeContainer(c, base + i + 1);
          } else if (!isWhitespace(c)) {
            state = S_INVALID;
          }
          i++;
          break;
        case S_COLON:
          if (c === 0x3a) state = S_VALUE;
          else if (!isWhitespace(c)) state = S_INVALID;
          i++;
          break;
        case S_ESCAPE:
          if (c === 0x75) {
            state = S_UNICODE;
            this.sub = 4;
          } else {
            state = ESCAPABLE[c] === 1 ? S_STRING : S_INVALID;
          }
          i++;
          break;
        case S_UNICODE:
          if (HEX[c] !== 1) state = S_INVALID;
          else if (--this.sub === 0) state = S_STRING;
          i++;
          break;
        case S_NUMBER: {
          const next = this.numberStep(c);
          if (next >= 0) {
            this.sub = next;
            i++;
          } else if (next === NUMBER_ENDED) {
            // The byte after the number is not part of it: judge it as what follows a value.
            state = this.valueEnded(base + i);
          } else {
            state = S_INVALID;
          }
          break;
        }
        case S_LITERAL:
          if (c !== this.literal[this.sub]) {
            state = S_INVALID;
          } else if (++this.sub === this.literal.length) {
            state = this.valueEnded(base + i + 1);
          }
          i++;
          break;
        case S_ROOT:
          if (c === 0xef && base + i === 0) {
            state = S_BOM;
            this.sub = 1;
          } else if (c === 0x7b) {
            this.push(CONTAINER_OBJECT);
            state = S_OBJECT_FIRST;
          } else if (!isWhitespace(c)) {
            // Arrays, scalars and garbage at the root: a full parse gives the exact answer.
            state = S_NOT_OBJECT;
          }
          i++;
          break;
        case S_BOM:
          if (c !== (this.sub === 1 ? 0xbb : 0xbf)) state = S_INVALID;
          else if (++this.sub === 3) state = S_ROOT;
          i++;
          break;
        case S_END:
          if (!isWhitespace(c)) state = S_INVALID;
          i++;
          break;
        default:
          // S_INVALID / S_NOT_OBJECT: nothing more to learn from this body.
          this.state = state;
          return;
      }
    }
    this.state = state;
  }

  /**
   * scanString runs through string contents from i, taking the common two-byte escapes in
   * stride; it returns the next state and leaves the next index in `resume`.
   */
  private scanString(chunk: Uint8Array, i: number, end: number, base: number): number {
    const bitmap = this.bitmap;
    for (;;) {
      i = this.view === undefined ? bitmap!.next(i, end) : nextStringSpecial(this.view, i, end);
      if (i === end) {
        this.resume = i;
        return S_STRING;
      }
      const c = chunk[i]!;
      if (c === 0x22) {
        this.resume = i + 1;
        return this.stringEnded(base + i + 1);
      }
      if (c !== 0x5c) {
        this.resume = i;
        return S_INVALID; // a raw control character
      }
      this.stringEscaped = true;
      if (i + 1 === end || chunk[i + 1] === 0x75) {
        // \u, or an escape split across chunks or windows: the byte-at-a-time states take it.
        this.resume = i + 1;
        return S_ESCAPE;
      }
      if (ESCAPABLE[chunk[i + 1]!] !== 1) {
        this.resume = i + 1;
        return S_INVALID;
      }
      i += 2;
    }
  }

  private startString(role: number, at: number): void {
    this.stringRole = role;
    this.stringEscaped = false;
    this.stringStart = at;
  }

  /** stringEnded handles a closing quote; `after` is the offset just past it. */
  private stringEnded(after: number): number {
    if (this.stringRole === STR_ROOT_KEY) {
      this.keyStart = this.stringStart + 1;
      this.keyEnd = after - 1;
      this.keyEscaped = this.stringEscaped;
      return S_COLON;
    }
    if (this.stringRole === STR_KEY) return S_COLON;
    return this.valueEnded(after);
  }

  /** startValue begins the value whose first byte is c (at global offset `at`). */
  private startValue(c: number, at: number): number {
    if (this.depth === 1) {
      this.valueStart = at;
      this.valueKind = kindOf(c);
    }
    switch (c) {
      case 0x22:
        this.startString(STR_VALUE, at);
        return S_STRING;
      case 0x7b:
        this.push(CONTAINER_OBJECT);
        return S_OBJECT_FIRST;
      case 0x5b:
        this.push(CONTAINER_ARRAY);
        return S_ARRAY_FIRST;
      case 0x74:
        return this.startLiteral(TRUE_BYTES);
      case 0x66:
        return this.startLiteral(FALSE_BYTES);
      case 0x6e:
        return this.startLiteral(NULL_BYTES);
      case 0x2d:
        this.sub = N_MINUS;
        return S_NUMBER;
      default:
        if (!isDigit(c)) return S_INVALID;
        this.sub = c === 0x30 ? N_ZERO : N_INT;
        return S_NUMBER;
    }
  }

  private startLiteral(bytes: Uint8Array): number {
    this.literal = bytes;
    this.sub = 1;
    return S_LITERAL;
  }

  /** numberStep returns the next number sub-state, NUMBER_ENDED, or NUMBER_INVALID. */
  private numberStep(c: number): number {
    const digit = isDigit(c);
    switch (this.sub) {
      case N_MINUS:
        if (!digit) return NUMBER_INVALID;
        return c === 0x30 ? N_ZERO : N_INT;
      case N_INT:
        if (digit) return N_INT;
        return afterInteger(c);
      case N_ZERO:
        return afterInteger(c);
      case N_DOT:
        return digit ? N_FRAC : NUMBER_INVALID;
      case N_FRAC:
        if (digit) return N_FRAC;
        return c === 0x65 || c === 0x45 ? N_EXP_MARK : NUMBER_ENDED;
      case N_EXP_MARK:
        if (digit) return N_EXP;
        return c === 0x2b || c === 0x2d ? N_EXP_SIGN : NUMBER_INVALID;
      case N_EXP_SIGN:
        return digit ? N_EXP : NUMBER_INVALID;
      default:
        return digit ? N_EXP : NUMBER_ENDED;
    }
  }

  private push(container: number): void {
    if (this.depth === this.stack.length) {
      const grown = new Uint8Array(this.stack.length * 2);
      grown.set(this.stack);
      this.stack = grown;
    }
    this.stack[this.depth++] = container;
  }

  /** closeContainer handles '}' or ']' (c); `after` is the offset just past it. */
  private closeContainer(c: number, after: number): number {
    const want = c === 0x7d ? CONTAINER_OBJECT : CONTAINER_ARRAY;
    if (this.depth === 0 || this.stack[this.depth - 1] !== want) return S_INVALID;
    this.depth--;
    if (this.depth === 0) return S_END;
    return this.valueEnded(after);
  }

  /** valueEnded records a finished member value of the root object; `after` is its end. */
  private valueEnded(after: number): number {
    if (this.depth === 1) {
      if (this.recorded.length < this.maxMembers) {
        this.recorded.push({
          keyStart: this.keyStart,
          keyEnd: this.keyEnd,
          keyEscaped: this.keyEscaped,
          kind: this.valueKind,
          valueStart: this.valueStart,
          valueEnd: after,
          valueEscaped: this.valueKind === "string" && this.stringEscaped,
        });
      } else {
        this.overflowed = true;
      }
    }
    return S_AFTER_VALUE;
  }
}

const NUMBER_ENDED = -1;
const NUMBER_INVALID = -2;

function afterInteger(c: number): number {
  if (c === 0x2e) return N_DOT;
  if (c === 0x65 || c === 0x45) return N_EXP_MARK;
  return isDigit(c) ? NUMBER_INVALID : NUMBER_ENDED;
}

function kindOf(c: number): ValueKind {
  switch (c) {
    case 0x22:
      return "string";
    case 0x7b:
      return "object";
    case 0x5b:
      return "array";
    case 0x74:
      return "true";
    case 0x66:
      return "false";
    case 0x6e:
      return "null";
    default:
      return "number";
  }
}
