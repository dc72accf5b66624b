import type { ChunkList } from "./chunk-list.js";
import type { MemberSpan } from "./top-level-scanner.js";

// Not fatal, like the decoder the full-parse path uses: an invalid UTF-8 sequence becomes
// U+FFFD in both. A field's bytes start and end at ASCII bytes (quotes, brackets, digits),
// where a UTF-8 decoder always starts afresh, so decoding the field alone gives exactly the
// characters decoding the whole body gives there.
const decoder = new TextDecoder("utf-8");

const ABSENT = -1;

/**
 * TopLevelFields answers field lookups from the member spans a TopLevelScanner recorded, as
 * JSON.parse would: the last of duplicate keys wins, escapes are decoded, numbers are the
 * doubles JSON.parse makes. Plain ASCII keys are compared in place; only escaped or non-ASCII
 * keys, and the values asked for, are ever decoded. Decoded values are kept, so asking twice
 * returns the same object.
 */
export class TopLevelFields {
  private readonly found = new Map<string, number>();
  private readonly values = new Map<string, unknown>();
  private decodedKeys: (string | undefined)[] | undefined;

  constructor(
    private readonly source: ChunkList,
    private readonly members: readonly MemberSpan[],
  ) {}

  /** has tells whether the root object has the key. */
  has(name: string): boolean {
    return this.indexOf(name) !== ABSENT;
  }

  /** get returns the value of a key, or undefined. */
  get(name: string): unknown {
    if (this.values.has(name)) return this.values.get(name);
    const i = this.indexOf(name);
    if (i === ABSENT) return undefined;
    const value = decodeValue(this.source, this.members[i]!);
    this.values.set(name, value);
    return value;
  }

  /** indexOf finds the last member with the key (the one JSON.parse keeps). */
  private indexOf(name: string): number {
    let i = this.found.get(name);
    if (i !== undefined) return i;
    for (i = this.members.length - 1; i >= 0; i--) if (this.keyIs(i, name)) break;
    this.found.set(name, i);
    return i;
  }

  private keyIs(i: number, name: string): boolean {
    const m = this.members[i]!;
    if (!m.keyEscaped) {
      const equal = this.source.asciiEquals(m.keyStart, m.keyEnd, name);
      if (equal !== undefined) return equal;
    }
    this.decodedKeys ??= [];
    let key = this.decodedKeys[i];
    if (key === undefined) {
      key = decodeKey(this.source, m);
      this.decodedKeys[i] = key;
    }
    return key === name;
  }
}

function decodeKey(source: ChunkList, m: MemberSpan): string {
  if (!m.keyEscaped) return decoder.decode(source.bytes(m.keyStart, m.keyEnd));
  return JSON.parse(decoder.decode(source.bytes(m.keyStart - 1, m.keyEnd + 1))) as string;
}

function decodeValue(source: ChunkList, m: MemberSpan): unknown {
  switch (m.kind) {
    case "true":
      return true;
    case "false":
      return false;
    case "null":
      return null;
    case "string":
      // Without escapes a JSON string is its characters verbatim.
      if (!m.valueEscaped) return decoder.decode(source.bytes(m.valueStart + 1, m.valueEnd - 1));
      return JSON.parse(decoder.decode(source.bytes(m.valueStart, m.valueEnd)));
    default:
      // Numbers, objects and arrays: JSON.parse of just this value is what the full parse
      // would have produced for it (same number rounding, same __proto__ handling).
      return JSON.parse(decoder.decode(source.bytes(m.valueStart, m.valueEnd)));
  }
}
