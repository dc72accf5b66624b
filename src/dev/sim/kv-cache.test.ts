import { describe, expect, it } from "vitest";
import { KvCache } from "./kv-cache.js";

describe("KvCache", () => {
  it("reuses cached prefix blocks and counts only pinned blocks as used", () => {
    const kv = new KvCache(10);
    const a = kv.allocate(["h1", "h2"], 2)!;
    expect(a.cachedBlocks).toBe(0);
    expect(kv.usedBlocks).toBe(4);
    expect(kv.usage).toBeCloseTo(0.4, 9);
    kv.release(a);
    expect(kv.usedBlocks).toBe(0);
    expect(kv.cachedBlocks).toBe(2); // idle but kept for prefix hits
    const b = kv.allocate(["h1", "h2", "h3"], 1)!;
    expect(b.cachedBlocks).toBe(2);
    expect(kv.usedBlocks).toBe(4);
  });

  it("shares a block between running sequences and counts it once", () => {
    const kv = new KvCache(10);
    const a = kv.allocate(["p"], 1)!;
    const b = kv.allocate(["p"], 1)!;
    expect(b.cachedBlocks).toBe(1);
    expect(kv.usedBlocks).toBe(3);
    kv.release(a);
    expect(kv.usedBlocks).toBe(2); // still pinned by b
    kv.release(b);
    expect(kv.usedBlocks).toBe(0);
  });

  it("evicts idle blocks least recently used first, never pinned ones", () => {
    const kv = new KvCache(4);
    kv.release(kv.allocate(["old"], 0)!);
    kv.release(kv.allocate(["newer"], 0)!);
    const pinned = kv.allocate(["busy"], 0)!;
    // Needs 2 free blocks; 1 is free, so exactly one idle block goes: the oldest.
    const c = kv.allocate(["fresh"], 1)!;
    expect(c).toBeDefined();
    expect(kv.cachedPrefix(["old"])).toBe(0);
    expect(kv.cachedPrefix(["newer"])).toBe(1);
    expect(kv.cachedPrefix(["busy"])).toBe(1);
    kv.release(pinned);
    kv.release(c);
  });

  it("refuses, changing nothing, when pinned blocks leave no room", () => {
    const kv = new KvCache(3);
    const a = kv.allocate(["x", "y"], 0)!;
    expect(kv.allocate(["z"], 1)).toBeUndefined();
    expect(kv.usedBlocks).toBe(2);
    expect(kv.cachedBlocks).toBe(2);
    kv.release(a);
    expect(kv.allocate(["z"], 1)).toBeDefined();
  });

  it("a reused idle block does not count as evictable room for itself", () => {
    const kv = new KvCache(2);
    kv.release(kv.allocate(["a"], 0)!);
    // "a" is idle and reused; 1 block free; needs 1 private + reuse "a": fits exactly.
    const s = kv.allocate(["a"], 1)!;
    expect(s.cachedBlocks).toBe(1);
    expect(kv.usedBlocks).toBe(2);
    expect(kv.allocate([], 1)).toBeUndefined();
  });
});
