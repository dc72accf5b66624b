import { beforeAll, describe, expect, it } from "vitest";
import type { Hasher64 } from "../../../src/epp/api/handle.js";
import {
  approxPrefixProducerParameters,
  ApproxPrefixCacheProducer,
} from "../../../src/epp/plugins/prefix/approx-prefix-cache-producer/approx-prefix-cache-producer.js";
import { BlockHasher, chainSeed, loadHasher } from "../../../src/epp/plugins/prefix/hashing.js";
import { PrefixIndexer } from "../../../src/epp/plugins/prefix/indexer.js";
import { prefixMatchKey } from "../../../src/epp/plugins/prefix/match-info.js";
import { PrefixCacheScorer } from "../../../src/epp/plugins/prefix/prefix-cache-scorer/prefix-cache-scorer.js";
import type { SchedulingResult } from "../../../src/epp/api/scheduling.js";
import type { Endpoint } from "../../../src/epp/api/endpoint.js";
import { endpoint, inferenceRequest, testHandle } from "../support/scheduling.js";

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

function result(target: Endpoint): SchedulingResult {
  return { primaryProfileName: "default", profileResults: new Map([["default", { targetEndpoints: [target] }]]) };
}

describe("approx-prefix-cache-producer + prefix-cache-scorer", () => {
  const longPrompt = (tail: string) => ({ model: "m1", prompt: `${"shared system prompt. ".repeat(40)}${tail}` });

  async function setup(params: Record<string, unknown> = {}) {
    const endpoints = [endpoint(1), endpoint(2), endpoint(3)];
    const producer = new ApproxPrefixCacheProducer(
      "p",
      approxPrefixProducerParameters.parse(params),
      await testHandle(endpoints),
    );
    const scorer = new PrefixCacheScorer("s", {});
    const run = (body: Record<string, unknown>) => {
      const req = inferenceRequest({ body, path: "/v1/completions" });
      producer.prepareRequestData(req, endpoints);
      return { req, scores: Array.from(scorer.score(req, endpoints)) };
    };
    return { endpoints, producer, run };
  }

  it("scores 0 everywhere before anything was routed", async () => {
    const { run, producer } = await setup();
    expect(run(longPrompt("q1")).scores).toEqual([0, 0, 0]);
    producer.close();
  });

  it("scores the endpoint that served the same prompt 1 after PreRequest learned it", async () => {
    const { run, producer, endpoints } = await setup();
    const first = run(longPrompt("q1"));
    producer.preRequest(first.req, result(endpoints[1]!), endpoints[1]!);
    expect(run(longPrompt("q1")).scores).toEqual([0, 1, 0]);
    producer.close();
  });

  it("scores a shared prefix as the share of matching leading blocks", async () => {
    const { run, producer, endpoints } = await setup();
    const first = run(longPrompt("question one, rather long to fill a few blocks of its own text here"));
    producer.preRequest(first.req, result(endpoints[0]!), endpoints[0]!);
    const second = run(longPrompt("a different question entirely, also long enough to span blocks"));
    const info = second.req.state.read(prefixMatchKey)!;
    const matched = info.matches.get(endpoints[0]!.metadata.key)!;
    expect(matched).toBeGreaterThan(0);
    expect(matched).toBeLessThan(info.totalBlocks);
    expect(second.scores[0]).toBeCloseTo(matched / info.totalBlocks, 9);
    expect(second.scores.slice(1)).toEqual([0, 0]);
    producer.close();
  });

  it("does not share entries between models", async () => {
    const { run, producer, endpoints } = await setup();
    const first = run(longPrompt("q"));
    producer.preRequest(first.req, result(endpoints[0]!), endpoints[0]!);
    expect(run({ ...longPrompt("q"), model: "m2" }).scores).toEqual([0, 0, 0]);
    producer.close();
  });

  it("hashes nothing for a prompt shorter than one block (16 tokens × 4 characters)", async () => {
    const { run, producer } = await setup();
    const { req } = run({ model: "m1", prompt: "x".repeat(63) });
    expect(req.state.read(prefixMatchKey)?.totalBlocks).toBe(0);
    producer.close();
  });

  it.each([
    { name: "configured block size", params: { autoTune: false }, reported: 32, wantBlockTokens: 16 },
    { name: "auto-tuned from vllm:cache_config_info", params: {}, reported: 32, wantBlockTokens: 32 },
    { name: "auto-tune without a reported size", params: {}, reported: 0, wantBlockTokens: 16 },
  ])("block size: $name", async ({ params, reported, wantBlockTokens }) => {
    const endpoints = [endpoint(1, { cacheBlockSize: reported })];
    const producer = new ApproxPrefixCacheProducer(
      "p",
      approxPrefixProducerParameters.parse(params),
      await testHandle(endpoints),
    );
    expect(producer.blockSizeFor(endpoints)).toBe(wantBlockTokens);
    const req = inferenceRequest({ body: { model: "m1", prompt: "y".repeat(1000) }, path: "/v1/completions" });
    producer.prepareRequestData(req, endpoints);
    expect(req.state.read(prefixMatchKey)?.totalBlocks).toBe(Math.ceil(1000 / (wantBlockTokens * 4)));
    producer.close();
  });

  it("bounds an endpoint's index by its reported KV block count when auto-tuned", async () => {
    const target = endpoint(1, { cacheNumBlocks: 2 });
    const producer = new ApproxPrefixCacheProducer(
      "p",
      approxPrefixProducerParameters.parse({}),
      await testHandle([target]),
    );
    const req = inferenceRequest({ body: { model: "m1", prompt: "z".repeat(640) }, path: "/v1/completions" });
    producer.prepareRequestData(req, [target]);
    producer.preRequest(req, result(target), target);
    expect(producer.indexer.endpointBlocks(target.metadata.key)).toBe(2);
    producer.close();
  });

  it("hashes the chat messages JSON for chat completions", async () => {
    const { producer, endpoints } = await setup();
    const messages = [
      { role: "system", content: "s".repeat(300) },
      { role: "user", content: "hi" },
    ];
    const req = inferenceRequest({ body: { model: "m1", messages } });
    producer.prepareRequestData(req, endpoints);
    expect(req.state.read(prefixMatchKey)?.totalBlocks).toBe(Math.ceil(JSON.stringify(messages).length / 64));
    producer.close();
  });

  it("maps legacy scorer parameters onto the default producer's", () => {
    expect(new PrefixCacheScorer("s", {}).defaultProducerParameters("PrefixCacheMatchInfo")).toBeUndefined();
    expect(
      new PrefixCacheScorer("s", {
        blockSize: 64,
        maxPrefixBlocksToMatch: 10,
        lruCapacityPerServer: 5,
      }).defaultProducerParameters("PrefixCacheMatchInfo"),
    ).toEqual({ blockSizeTokens: 16, maxPrefixBlocksToMatch: 10, lruCapacityPerServer: 5 });
  });
});
