import { describe, expect, it } from "vitest";
import { endpoint, inferenceRequest } from "../../../../../test/epp/support/scheduling.js";
import { type PrefixMatchInfo, prefixMatchKey } from "../match-info.js";
import { PrefixCacheScorer, prefixCacheScorerType } from "./prefix-cache-scorer.js";

function scoresWith(info: PrefixMatchInfo | undefined): number[] {
  const endpoints = [endpoint(1), endpoint(2), endpoint(3)];
  const req = inferenceRequest();
  if (info) req.state.write(prefixMatchKey, info);
  return Array.from(new PrefixCacheScorer("s", {}).score(req, endpoints));
}

const info = (totalBlocks: number, matches: Record<string, number>): PrefixMatchInfo => ({
  hashes: [],
  totalBlocks,
  blockSizeTokens: 16,
  matches: new Map(Object.entries(matches)),
});

describe("prefix-cache-scorer", () => {
  it.each([
    { name: "no match info: 0 everywhere", info: undefined, want: [0, 0, 0] },
    { name: "no blocks: 0 everywhere", info: info(0, { "10.0.0.1:8000": 0 }), want: [0, 0, 0] },
    {
      name: "matched blocks / total blocks",
      info: info(4, { "10.0.0.1:8000": 4, "10.0.0.3:8000": 1 }),
      want: [1, 0, 0.25],
    },
  ])("$name", ({ info, want }) => {
    expect(scoresWith(info)).toEqual(want);
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

  it.each([
    { name: "v1.0 hashBlockSize in characters", legacy: { hashBlockSize: 64 }, want: { blockSizeTokens: 16 } },
    {
      name: "blockSizeTokens wins over characters",
      legacy: { blockSizeTokens: 8, blockSize: 64 },
      want: { blockSizeTokens: 8 },
    },
    { name: "autoTune", legacy: { autoTune: false }, want: { autoTune: false } },
  ])("passes $name on", ({ legacy, want }) => {
    expect(new PrefixCacheScorer("s", legacy).defaultProducerParameters("PrefixCacheMatchInfo")).toEqual(want);
  });

  it("has no default producer parameters for other data keys", () => {
    expect(new PrefixCacheScorer("s", { blockSize: 64 }).defaultProducerParameters("Other")).toBeUndefined();
  });

  it("consumes PrefixCacheMatchInfo and is an affinity scorer", () => {
    expect(new PrefixCacheScorer("s", {})).toMatchObject({ consumes: ["PrefixCacheMatchInfo"], category: "affinity" });
  });

  it("refuses parameters that are neither its own nor a legacy producer's", () => {
    expect(prefixCacheScorerType.parameters.safeParse({ matchLengthWeight: 1 }).success).toBe(false);
  });
});
