import { beforeAll, describe, expect, it } from "vitest";
import type { Hasher64 } from "../../api/handle.js";
import { BlockHasher, chainSeed, loadHasher } from "./hashing.js";

const encoder = new TextEncoder();
let hasher: Hasher64;
beforeAll(async () => {
  hasher = await loadHasher();
});

describe("BlockHasher", () => {
  const bytes = (s: string) => encoder.encode(s);

  it.each([
    { name: "shorter than one block: no hashes", prompt: "abc", block: 4, max: 10, want: 0 },
    { name: "exact blocks", prompt: "abcdefgh", block: 4, max: 10, want: 2 },
    { name: "a trailing partial block is hashed too", prompt: "abcdefghij", block: 4, max: 10, want: 3 },
    { name: "capped at maxBlocks", prompt: "a".repeat(100), block: 4, max: 5, want: 5 },
  ])("$name", ({ prompt, block, max, want }) => {
    expect(new BlockHasher(hasher).hashes(bytes(prompt), block, max, 1n)).toHaveLength(want);
  });

  it("chains: equal prefixes give equal leading hashes, a change alters every later hash", () => {
    const h = new BlockHasher(hasher);
    const a = h.hashes(bytes("aaaabbbbcccc"), 4, 10, 9n);
    const b = h.hashes(bytes("aaaabbbbdddd"), 4, 10, 9n);
    const c = h.hashes(bytes("xaaabbbbcccc"), 4, 10, 9n);
    expect(a.slice(0, 2)).toEqual(b.slice(0, 2));
    expect(a[2]).not.toBe(b[2]);
    // Block 1 and 2 have the same bytes as in `a`, but their predecessors differ.
    expect(c.every((x, i) => x !== a[i])).toBe(true);
  });

  it("is deterministic and matches xxhash64 of block ‖ LE64(previous)", () => {
    const seed = 0x1234n;
    const [first] = new BlockHasher(hasher).hashes(bytes("abcd"), 4, 1, seed);
    const input = new Uint8Array(12);
    input.set(bytes("abcd"));
    new DataView(input.buffer).setBigUint64(4, seed, true);
    expect(first).toBe(hasher.hash(input, 0n));
  });

  it("seeds by model and cache salt, so different models never share entries", () => {
    expect(chainSeed(hasher, "m1", undefined)).not.toBe(chainSeed(hasher, "m2", undefined));
    expect(chainSeed(hasher, "m1", "salt")).not.toBe(chainSeed(hasher, "m1", undefined));
    expect(chainSeed(hasher, "m1", undefined)).toBe(chainSeed(hasher, "m1", undefined));
  });
});
