import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChunkList } from "./chunk-list.js";
import { TopLevelFields } from "./top-level-fields.js";
import { WINDOW_BYTES } from "./special-bitmap.js";
import { SIMD_AVAILABLE, type ScanVerdict, type StringClassifier, TopLevelScanner } from "./top-level-scanner.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Every case and property runs on each way of crossing strings: the SIMD bitmap for every
 * chunk, however small, and the scalar fallback. (The default, "auto", mixes the two by chunk
 * size; MessageBody's tests cover it.)
 */
const CLASSIFIERS: readonly StringClassifier[] = ["simd", "scalar"];

/** scan feeds chunks through a scanner as MessageBody does and returns its verdict and index. */
function scan(classifier: StringClassifier, chunks: readonly Uint8Array[], maxMembers?: number) {
  const list = new ChunkList();
  const scanner = new TopLevelScanner(maxMembers, classifier);
  for (const c of chunks) {
    list.push(c);
    scanner.feed(c);
  }
  const verdict: ScanVerdict = scanner.verdict();
  const fields = verdict === "valid" && scanner.complete ? new TopLevelFields(list, scanner.members) : undefined;
  return { verdict, fields, complete: scanner.complete };
}

/** parsed is what MessageBody's full path makes of the bytes: JSON.parse after a lenient decode. */
function parsed(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(decoder.decode(bytes)) };
  } catch {
    return { ok: false };
  }
}

/** isObject is the root MessageBody accepts. */
function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * sameJson compares parsed JSON exactly: Object.is for scalars (so -0 is not 0), own keys in
 * the same order. (toStrictEqual would mistake an own "constructor" key for a class.)
 */
function sameJson(a: unknown, b: unknown): boolean {
  // Iterative: generated documents nest deeper than the stack allows.
  const pending: [unknown, unknown][] = [[a, b]];
  for (let pair = pending.pop(); pair; pair = pending.pop()) {
    const [x, y] = pair;
    if (typeof x !== "object" || x === null || typeof y !== "object" || y === null) {
      if (!Object.is(x, y)) return false;
      continue;
    }
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length !== ky.length || kx.some((k, i) => k !== ky[i])) return false;
    for (const k of kx) pending.push([(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]]);
  }
  return true;
}

/** everyByte splits bytes into 1-byte chunks (the harshest split). */
function everyByte(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

const bytesOf = (parts: readonly (string | number[])[]): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? encoder.encode(p) : Uint8Array.from(p))));

describe.each(CLASSIFIERS)("TopLevelScanner verdicts agree with JSON.parse (%s)", (classifier) => {
  it.each<{ name: string; body: Uint8Array; want: ScanVerdict }>([
    { name: "empty object", body: bytesOf(["{}"]), want: "valid" },
    { name: "whitespace around", body: bytesOf([" \t\r\n{ } \n"]), want: "valid" },
    { name: "leading BOM (TextDecoder drops it)", body: bytesOf([[0xef, 0xbb, 0xbf], "{}"]), want: "valid" },
    { name: "BOM after whitespace", body: bytesOf([" ", [0xef, 0xbb, 0xbf], "{}"]), want: "not-object" },
    { name: "two BOMs", body: bytesOf([[0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], "{}"]), want: "not-object" },
    { name: "partial BOM", body: bytesOf([[0xef, 0xbb], "{}"]), want: "invalid" },
    { name: "empty body", body: bytesOf([""]), want: "invalid" },
    { name: "whitespace only", body: bytesOf(["  "]), want: "invalid" },
    { name: "array root", body: bytesOf(["[1]"]), want: "not-object" },
    { name: "string root", body: bytesOf(['"x"']), want: "not-object" },
    { name: "garbage root", body: bytesOf(["hello"]), want: "not-object" },
    { name: "unclosed object", body: bytesOf(['{"a":1']), want: "invalid" },
    { name: "trailing comma in object", body: bytesOf(['{"a":1,}']), want: "invalid" },
    { name: "trailing comma in array", body: bytesOf(['{"a":[1,]}']), want: "invalid" },
    { name: "content after root", body: bytesOf(["{} {}"]), want: "invalid" },
    { name: "mismatched brackets", body: bytesOf(['{"a":[}']), want: "invalid" },
    { name: "missing colon", body: bytesOf(['{"a" 1}']), want: "invalid" },
    { name: "unquoted key", body: bytesOf(["{a:1}"]), want: "invalid" },
    { name: "single quotes", body: bytesOf(["{'a':1}"]), want: "invalid" },
    { name: "raw newline in string", body: bytesOf(['{"a":"x\ny"}']), want: "invalid" },
    { name: "raw NUL in string", body: bytesOf(['{"a":"x', [0], '"}']), want: "invalid" },
    { name: "raw DEL in string", body: bytesOf(['{"a":"x', [0x7f], '"}']), want: "valid" },
    { name: "invalid UTF-8 in string", body: bytesOf(['{"a":"', [0xff, 0xc3, 0x28], '"}']), want: "valid" },
    { name: "non-ASCII outside strings", body: bytesOf(['{"a":1', [0xc2, 0xa0], "}"]), want: "invalid" },
    { name: "bad escape", body: bytesOf(['{"a":"\\x"}']), want: "invalid" },
    { name: "short \\u escape", body: bytesOf(['{"a":"\\u12"}']), want: "invalid" },
    { name: "lone surrogate escape", body: bytesOf(['{"a":"\\ud800"}']), want: "valid" },
    { name: "every short escape", body: bytesOf(['{"a":"\\"\\\\\\/\\b\\f\\n\\r\\t"}']), want: "valid" },
    { name: "leading zero", body: bytesOf(['{"a":01}']), want: "invalid" },
    { name: "minus alone", body: bytesOf(['{"a":-}']), want: "invalid" },
    { name: "dot without digits", body: bytesOf(['{"a":1.}']), want: "invalid" },
    { name: "leading dot", body: bytesOf(['{"a":.5}']), want: "invalid" },
    { name: "plus sign", body: bytesOf(['{"a":+1}']), want: "invalid" },
    { name: "exponent without digits", body: bytesOf(['{"a":1e}']), want: "invalid" },
    { name: "exponent forms", body: bytesOf(['{"a":[0,-0,1E5,1e+5,1.5e-5,-0.0e0]}']), want: "valid" },
    { name: "huge number", body: bytesOf(['{"a":1e400}']), want: "valid" },
    { name: "NaN", body: bytesOf(['{"a":NaN}']), want: "invalid" },
    { name: "literals", body: bytesOf(['{"a":[true,false,null]}']), want: "valid" },
    { name: "truncated literal", body: bytesOf(['{"a":tru}']), want: "invalid" },
    { name: "literal with tail", body: bytesOf(['{"a":truex}']), want: "invalid" },
    { name: "capitalised literal", body: bytesOf(['{"a":True}']), want: "invalid" },
    { name: "comment", body: bytesOf(['{"a":1 /* c */}']), want: "invalid" },
    { name: "deep nesting", body: bytesOf([`{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`]), want: "valid" },
    { name: "deep objects", body: bytesOf([`{"a":${'{"b":'.repeat(5_000)}1${"}".repeat(5_000)}}`]), want: "valid" },
  ])("$name → $want", ({ body, want }) => {
    const p = parsed(body);
    const agreed: ScanVerdict = !p.ok ? "invalid" : isObject(p.value) ? "valid" : "not-object";
    // "not-object" leaves the answer to a full parse, which must then refuse the body too.
    if (want === "not-object") expect(agreed).not.toBe("valid");
    else expect(agreed).toBe(want);
    expect(scan(classifier, [body]).verdict).toBe(want);
    expect(scan(classifier, everyByte(body)).verdict).toBe(want);
  });
});

describe.each(CLASSIFIERS)("TopLevelScanner fields equal JSON.parse (%s)", (classifier) => {
  it.each<{ name: string; body: string; field: string }>([
    { name: "model first", body: '{"model":"m1","messages":[{"role":"user","content":"hi"}]}', field: "model" },
    { name: "model last", body: '{"messages":[{"model":"nested"}],"model":"m2"}', field: "model" },
    { name: "last duplicate wins", body: '{"model":"a","x":1,"model":"b"}', field: "model" },
    { name: "escaped key matches", body: '{"mod\\u0065l":"m3"}', field: "model" },
    { name: "escaped value", body: '{"model":"a\\"b\\\\c\\u00e9\\n"}', field: "model" },
    { name: "surrogate pair escape", body: '{"model":"\\ud83d\\ude00"}', field: "model" },
    { name: "multi-byte value", body: '{"model":"日本語-😀"}', field: "model" },
    { name: "number", body: '{"model":1.50}', field: "model" },
    { name: "negative zero", body: '{"model":-0}', field: "model" },
    { name: "number beyond double", body: '{"model":123456789012345678901234567890}', field: "model" },
    { name: "exponent", body: '{"model":1E-7}', field: "model" },
    { name: "true", body: '{"model":true}', field: "model" },
    { name: "null", body: '{"model":null}', field: "model" },
    { name: "object", body: '{"model":{"a":[1,{"b":"c"}]}}', field: "model" },
    { name: "__proto__ key", body: '{"__proto__":{"x":1}}', field: "__proto__" },
    { name: "empty key", body: '{"":"e"}', field: "" },
    { name: "absent", body: '{"models":"x"}', field: "model" },
    { name: "nested only", body: '{"a":{"model":"x"}}', field: "model" },
    { name: "whitespace everywhere", body: ' {\n "model" :\t"m" \r\n} ', field: "model" },
  ])("$name", ({ body, field }) => {
    const bytes = encoder.encode(body);
    const want = JSON.parse(body) as Record<string, unknown>;
    for (const chunks of [[bytes], everyByte(bytes)]) {
      const { fields } = scan(classifier, chunks);
      expect(fields).toBeDefined();
      expect(fields!.has(field)).toBe(Object.hasOwn(want, field));
      expect(sameJson(fields!.get(field), Object.hasOwn(want, field) ? want[field] : undefined)).toBe(true);
    }
  });

  it("decodes invalid UTF-8 in a value exactly as the full decode does", () => {
    const body = bytesOf(['{"model":"a', [0xe3, 0x81], '","b":"', [0xed, 0xa0, 0x80, 0xf0, 0x9f], '"}']);
    const want = JSON.parse(decoder.decode(body)) as Record<string, unknown>;
    const { fields } = scan(classifier, everyByte(body));
    expect(fields!.get("model")).toBe(want["model"]);
    expect(fields!.get("b")).toBe(want["b"]);
  });

  it("returns the same object for repeated lookups", () => {
    const { fields } = scan(classifier, [encoder.encode('{"m":{"a":1}}')]);
    expect(fields!.get("m")).toBe(fields!.get("m"));
  });

  it("stops indexing past the member cap but still validates", () => {
    const body = encoder.encode(`{${Array.from({ length: 5 }, (_, i) => `"k${i}":${i}`).join(",")}}`);
    expect(scan(classifier, [body], 4)).toMatchObject({ verdict: "valid", complete: false, fields: undefined });
    expect(scan(classifier, [body], 5)).toMatchObject({ verdict: "valid", complete: true });
    const broken = encoder.encode(`{${Array.from({ length: 5 }, (_, i) => `"k${i}":${i}`).join(",")},}`);
    expect(scan(classifier, [broken], 4).verdict).toBe("invalid");
  });
});

// ---- properties: scanner vs JSON.parse on generated documents and random chunk splits ----

const ws = fc.constantFrom("", "", "", " ", "\n", "\t", "\r\n  ");

/** rawSafe replaces what may not stand raw in a JSON string: quotes, backslashes, controls. */
function rawSafe(text: string): string {
  return [...text].map((ch) => (ch === '"' || ch === "\\" || ch < " " ? "_" : ch)).join("");
}

/** A JSON string literal mixing raw characters (any plane) with every kind of escape. */
const stringLiteral = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 6 }) },
      { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) }, // lone surrogates too
      { weight: 2, arbitrary: fc.constantFrom('\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t") },
      {
        weight: 2,
        arbitrary: fc
          .integer({ min: 0, max: 0xffff })
          .chain((u) =>
            fc
              .boolean()
              .map((upper) => `\\u${u.toString(16).padStart(4, "0")[upper ? "toUpperCase" : "toLowerCase"]()}`),
          ),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom("\\ud83d\\ude00", "\\uD800", "\\udfff", "é", "日本", "😀", "\u2028", "\u007f"),
      },
    ),
    { maxLength: 8 },
  )
  // Raw quotes, backslashes and control characters are what the escapes are for.
  .map((parts) => `"${parts.map((p) => (p.startsWith("\\") ? p : rawSafe(p))).join("")}"`);

const digits = (min: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: 25 });
const numberLiteral = fc
  .tuple(
    fc.constantFrom("", "-"),
    fc.oneof(
      fc.constant("0"),
      fc.tuple(fc.constantFrom(..."123456789"), digits(0)).map(([a, b]) => a + b),
    ),
    fc.option(
      digits(1).map((d) => `.${d}`),
      { nil: "" },
    ),
    fc.option(
      fc
        .tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digits(1))
        .map(([e, s, d]) => e + s + d.slice(0, 3)),
      { nil: "" },
    ),
  )
  .map((parts) => parts.join(""));

/** Keys that matter: the routed field, its escaped spelling, prototype names, the empty key. */
const key = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('"model"', '"mod\\u0065l"', '"messages"', '"__proto__"', '"constructor"', '""', '"a"'),
  },
  { weight: 1, arbitrary: stringLiteral },
);

const { value } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    stringLiteral,
    numberLiteral,
    fc.constantFrom("true", "false", "null"),
    tie("array"),
    tie("object"),
  ),
  array: fc
    .array(fc.tuple(ws, tie("value"), ws), { maxLength: 4 })
    .map((items) => `[${items.map((i) => i.join("")).join(",")}]`),
  object: fc
    .array(fc.tuple(ws, key, ws, ws, tie("value"), ws), { maxLength: 4 })
    .map((members) => `{${members.map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`).join(",")}}`),
}));

/** A root object with duplicate-prone keys, sometimes with a deeply nested member. */
const document = fc
  .tuple(
    ws,
    fc.array(fc.tuple(ws, key, ws, ws, value, ws), { maxLength: 8 }),
    fc.option(fc.integer({ min: 50, max: 2000 }), { nil: undefined, freq: 10 }),
    ws,
  )
  .map(([lead, members, deep, trail]) => {
    const parts = members.map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`);
    if (deep !== undefined) parts.push(`"deep":${'[{"x":'.repeat(deep)}1${"}]".repeat(deep)}`);
    return `${lead}{${parts.join(",")}}${trail}`;
  });

/** chunking picks split points and the alignment of the backing buffer. */
const chunking = fc.record({
  cuts: fc.array(fc.nat(), { maxLength: 12 }),
  pad: fc.integer({ min: 0, max: 7 }),
  tiny: fc.boolean(),
});

/** split cuts bytes into views of one buffer at `pad`, so pieces have varied word alignment. */
function split(bytes: Uint8Array, c: { cuts: number[]; pad: number; tiny: boolean }): Uint8Array[] {
  const backing = new Uint8Array(bytes.length + c.pad);
  backing.set(bytes, c.pad);
  const view = backing.subarray(c.pad);
  if (c.tiny) return everyByte(view);
  const cuts = [...new Set(c.cuts.map((x) => x % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(view.subarray(from, cut));
    from = cut;
  }
  return out;
}

/** expectSameAsParse checks the scanner against the full-parse path on one body. */
function expectSameAsParse(
  classifier: StringClassifier,
  bytes: Uint8Array,
  chunks: readonly Uint8Array[],
  probes: readonly string[] = [],
): void {
  const p = parsed(bytes);
  const { verdict, fields } = scan(classifier, chunks);
  if (!p.ok) {
    expect(verdict).not.toBe("valid");
    return;
  }
  if (!isObject(p.value)) {
    expect(verdict).toBe("not-object");
    return;
  }
  expect(verdict).toBe("valid");
  for (const name of [...Object.keys(p.value), ...probes]) {
    const present = Object.hasOwn(p.value, name);
    expect(fields!.has(name)).toBe(present);
    expect(sameJson(fields!.get(name), present ? p.value[name] : undefined), name).toBe(true);
  }
}

describe.each(CLASSIFIERS)("TopLevelScanner properties (%s)", (classifier) => {
  it("agrees with JSON.parse on generated documents, however they are chunked", () => {
    fc.assert(
      fc.property(document, chunking, (text, c) => {
        const bytes = encoder.encode(text);
        expectSameAsParse(classifier, bytes, split(bytes, c), ["model", "missing", "__proto__", "toString"]);
      }),
      { numRuns: 400 },
    );
  });

  it("agrees with JSON.parse on corrupted documents (validity and fields)", () => {
    const edit = fc.record({
      at: fc.nat(),
      op: fc.constantFrom("delete", "insert", "replace"),
      byte: fc.oneof(
        fc.constantFrom(...'{}[]:,"\\ \n0-1e.tfn'.split("").map((ch) => ch.charCodeAt(0))),
        fc.integer({ min: 0, max: 255 }),
      ),
    });
    fc.assert(
      fc.property(document, fc.array(edit, { minLength: 1, maxLength: 3 }), chunking, (text, edits, c) => {
        const bytes = Array.from(encoder.encode(text));
        for (const e of edits) {
          const at = e.at % (bytes.length + 1);
          if (e.op === "delete") bytes.splice(at, 1);
          else if (e.op === "insert") bytes.splice(at, 0, e.byte);
          else bytes[Math.min(at, bytes.length - 1)] = e.byte;
        }
        const body = Uint8Array.from(bytes);
        expectSameAsParse(classifier, body, split(body, c), ["model"]);
      }),
      { numRuns: 600 },
    );
  });

  it("decodes arbitrary bytes inside a string value and a key as the full decode does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), chunking, (raw, c) => {
        // Keep the string closed: quotes and backslashes become 'x'; control bytes stay (→ invalid).
        const inner = raw.map((b) => (b === 0x22 || b === 0x5c ? 0x78 : b));
        const body = bytesOf(['{"model":"', Array.from(inner), '","', Array.from(inner), '":1,"n":1}']);
        expectSameAsParse(classifier, body, split(body, c), ["model"]);
      }),
      { numRuns: 400 },
    );
  });

  it("reads numbers as JSON.parse does", () => {
    fc.assert(
      fc.property(numberLiteral, chunking, (n, c) => {
        const body = encoder.encode(`{"model":${n}}`);
        expectSameAsParse(classifier, body, split(body, c));
      }),
      { numRuns: 300 },
    );
  });

  it("finds what ends long string runs wherever it falls (word and chunk boundaries)", () => {
    // Plain runs of any length, each ended by an escape, a multi-byte character, or a raw
    // control byte or quote (which make the document invalid).
    const run = fc.record({
      plain: fc.integer({ min: 0, max: 300 }),
      stop: fc.constantFrom("\\n", '\\"', "\\u00e9", "é", "日", "\u0001", '"'),
    });
    fc.assert(
      fc.property(fc.array(run, { maxLength: 6 }), chunking, (runs, c) => {
        const content = runs.map((r) => "ab c".repeat(r.plain).slice(0, r.plain) + r.stop).join("");
        const body = encoder.encode(`{"messages":"${content}","model":"m"}`);
        expectSameAsParse(classifier, body, split(body, c), ["model", "messages"]);
      }),
      { numRuns: 400 },
    );
  });
});

describe("TopLevelScanner across bitmap windows", () => {
  it("runs the SIMD classifier on this Node (so the simd cases above are not the scalar ones)", () => {
    expect(SIMD_AVAILABLE).toBe(true);
  });

  it("agrees with JSON.parse when a string's end, an escape or a bad byte straddles a window", () => {
    // One string long enough to span WINDOW_BYTES (64 KiB), with something special placed
    // around the window edge: a chunk this big is classified in two windows. The body is one
    // chunk, or two cut early in the first, so the second chunk's window edge moves too.
    const prefix = '{"messages":"';
    const special = fc.constantFrom("\\n", '\\"', "\\u00e9", "é", "日", "\u0001", '"', "");
    fc.assert(
      fc.property(
        fc.integer({ min: WINDOW_BYTES - 40, max: WINDOW_BYTES + 56 }),
        special,
        special,
        fc.record({
          cuts: fc.array(fc.integer({ min: 0, max: 48 }), { maxLength: 1 }),
          pad: fc.integer({ min: 0, max: 7 }),
          tiny: fc.constant(false),
        }),
        fc.constantFrom<StringClassifier>("auto", "simd", "scalar"),
        (edge, first, second, c, classifier) => {
          const filler = "ab c".repeat(edge).slice(0, edge - prefix.length);
          const body = encoder.encode(`${prefix}${filler}${first}x${second}","model":"m"}`);
          expectSameAsParse(classifier, body, split(body, c), ["model", "messages"]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
