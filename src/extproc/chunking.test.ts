import { describe, expect, it } from "vitest";
import { BODY_CHUNK_LIMIT, splitBody } from "./chunking.js";

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
