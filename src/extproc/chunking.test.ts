import { describe, expect, it } from "vitest";
import { BODY_CHUNK_LIMIT, bodyLength, splitBody, splitChunks } from "./chunking.js";

describe("splitBody", () => {
  it.each([
    [0, [0]],
    [61_000, [61_000]],
    [62_000, [62_000]],
    [62_001, [62_000, 1]],
    [63_000, [62_000, 1_000]],
    [125_000, [62_000, 62_000, 1_000]],
  ])("%d bytes → pieces %j", (size, want) => {
    const body = new Uint8Array(size).map((_, i) => i % 251);
    const pieces = splitBody(body);
    expect(pieces.map((p) => p.length)).toEqual(want);
    // Views of the same memory, not copies, and nothing lost.
    for (const p of pieces) expect(p.buffer).toBe(body.buffer);
    expect(Buffer.concat(pieces).equals(Buffer.from(body))).toBe(true);
  });

  it("uses 62,000 bytes as the limit", () => {
    expect(BODY_CHUNK_LIMIT).toBe(62_000);
  });
});

describe("splitChunks", () => {
  it.each([
    [[], [0]],
    [[10], [10]],
    [[65_536], [62_000, 3_536]],
    [[40_000, 40_000], [62_000, 18_000]],
    [[16_384, 65_536, 20_000], [62_000, 39_920]],
    [[62_000, 62_000, 1], [62_000, 62_000, 1]],
  ])("chunks %j → the pieces splitBody cuts from the joined body %j", (sizes, want) => {
    let next = 0;
    const chunks = sizes.map((n) => new Uint8Array(n).map(() => next++ % 251));
    const joined = Buffer.concat(chunks);
    const pieces = splitChunks(chunks);
    expect(pieces.map((parts) => bodyLength(parts))).toEqual(want);
    expect(pieces.map((parts) => Buffer.concat(parts))).toEqual(splitBody(joined).map((p) => Buffer.from(p)));
    // Parts are views of the chunks, never copies.
    for (const parts of pieces) for (const part of parts) expect(chunks.some((c) => c.buffer === part.buffer)).toBe(true);
  });
});
