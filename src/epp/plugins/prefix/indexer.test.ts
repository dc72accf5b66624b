import { describe, expect, it } from "vitest";
import { PrefixIndexer } from "./indexer.js";

describe("PrefixIndexer", () => {
  it.each([
    { name: "nothing indexed", adds: [] as [string, bigint[]][], query: [1n, 2n], want: {} },
    { name: "full match", adds: [["a", [1n, 2n, 3n]]] as [string, bigint[]][], query: [1n, 2n, 3n], want: { a: 3 } },
    {
      name: "partial match stops at the first unknown block",
      adds: [["a", [1n, 2n]]] as [string, bigint[]][],
      query: [1n, 2n, 3n, 4n],
      want: { a: 2 },
    },
    {
      name: "several endpoints, each credited per block held",
      adds: [
        ["a", [1n, 2n, 3n]],
        ["b", [1n]],
      ] as [string, bigint[]][],
      query: [1n, 2n, 3n],
      want: { a: 3, b: 1 },
    },
    {
      name: "no leading match, no credit",
      adds: [["a", [2n, 3n]]] as [string, bigint[]][],
      query: [1n, 2n, 3n],
      want: {},
    },
  ])("$name", ({ adds, query, want }) => {
    const index = new PrefixIndexer();
    for (const [e, hashes] of adds) index.add(e, hashes, 100);
    expect(Object.fromEntries(index.matchLongestPrefix(query))).toEqual(want);
  });

  it("evicts the least recently used blocks past an endpoint's capacity", () => {
    const index = new PrefixIndexer();
    index.add("a", [1n, 2n, 3n], 3);
    index.add("a", [1n], 3); // refresh 1: now 2 is the oldest
    index.add("a", [4n], 3);
    expect(index.endpointBlocks("a")).toBe(3);
    expect(Object.fromEntries(index.matchLongestPrefix([1n]))).toEqual({ a: 1 });
    expect(Object.fromEntries(index.matchLongestPrefix([2n]))).toEqual({});
    expect(index.size).toBe(3);
  });

  it("prunes endpoints that left the pool", () => {
    const index = new PrefixIndexer();
    index.add("a", [1n, 2n], 10);
    index.add("b", [1n], 10);
    expect(index.prune(new Set(["b"]))).toBe(1);
    expect(Object.fromEntries(index.matchLongestPrefix([1n, 2n]))).toEqual({ b: 1 });
    expect(index.size).toBe(1);
  });
});
