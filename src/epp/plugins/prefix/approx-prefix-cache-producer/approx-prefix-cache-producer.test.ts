import { describe, expect, it } from "vitest";
import type { SchedulingResult } from "../../../api/scheduling.js";
import {
  endpoint,
  inferenceRequest,
  singleProfileResult,
  testHandle,
} from "../../../../../test/epp/support/scheduling.js";
import { prefixMatchKey } from "../match-info.js";
import {
  ApproxPrefixCacheProducer,
  approxPrefixCacheProducerType,
  approxPrefixProducerParameters,
} from "./approx-prefix-cache-producer.js";

async function setup(params: Record<string, unknown> = {}) {
  const endpoints = [endpoint(1), endpoint(2), endpoint(3)];
  const producer = new ApproxPrefixCacheProducer(
    "p",
    approxPrefixProducerParameters.parse(params),
    await testHandle(endpoints),
  );
  const run = (body: Record<string, unknown>) => {
    const req = inferenceRequest({ body, path: "/v1/completions" });
    producer.prepareRequestData(req, endpoints);
    return { req };
  };
  return { endpoints, producer, run };
}

const longPrompt = (tail: string) => ({ model: "m1", prompt: `${"shared system prompt. ".repeat(40)}${tail}` });

describe("approx-prefix-cache-producer", () => {
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
    producer.preRequest(req, singleProfileResult(target), target);
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

  it.each([
    { name: "maxPrefixBlocksToMatch caps the blocks", params: { maxPrefixBlocksToMatch: 3 }, want: 3 },
    {
      name: "maxPrefixTokensToMatch overrides it",
      params: { maxPrefixBlocksToMatch: 3, maxPrefixTokensToMatch: 80 },
      want: 5,
    },
  ])("$name", async ({ params, want }) => {
    const { run, producer } = await setup(params);
    expect(run({ model: "m1", prompt: "w".repeat(2000) }).req.state.read(prefixMatchKey)?.totalBlocks).toBe(want);
    producer.close();
  });

  it("learns the chosen endpoint and a 'prefill' profile's endpoint in PreRequest", async () => {
    const { run, producer, endpoints } = await setup();
    const [decode, prefill] = [endpoints[0]!, endpoints[1]!];
    const first = run(longPrompt("pd"));
    const result: SchedulingResult = {
      primaryProfileName: "decode",
      profileResults: new Map([
        ["decode", { targetEndpoints: [decode] }],
        ["prefill", { targetEndpoints: [prefill] }],
      ]),
    };
    producer.preRequest(first.req, result, decode);
    const matches = run(longPrompt("pd")).req.state.read(prefixMatchKey)!.matches;
    expect([...matches.keys()].sort()).toEqual([decode.metadata.key, prefill.metadata.key]);
    producer.close();
  });

  it("prunes endpoints discovery no longer lists", async () => {
    const endpoints = [endpoint(1), endpoint(2)];
    const live = [...endpoints];
    const handle = { ...(await testHandle()), endpoints: () => live };
    const producer = new ApproxPrefixCacheProducer("p", approxPrefixProducerParameters.parse({}), handle);
    for (const target of endpoints) {
      const req = inferenceRequest({ body: longPrompt("prune"), path: "/v1/completions" });
      producer.prepareRequestData(req, endpoints);
      producer.preRequest(req, singleProfileResult(target), target);
    }
    live.pop();
    producer.prune();
    expect(producer.indexer.endpointBlocks(endpoints[0]!.metadata.key)).toBeGreaterThan(0);
    expect(producer.indexer.endpointBlocks(endpoints[1]!.metadata.key)).toBe(0);
    producer.close();
  });

  it("takes the reference's defaults", () => {
    expect(approxPrefixCacheProducerType.parameters.parse(undefined)).toEqual({
      autoTune: true,
      blockSizeTokens: 16,
      maxPrefixBlocksToMatch: 256,
      maxPrefixTokensToMatch: 0,
      lruCapacityPerServer: 31_250,
    });
  });

  it.each([{ blockSizeTokens: 0 }, { lruCapacityPerServer: -1 }, { blockSize: 64 }])("refuses %j", (params) => {
    expect(approxPrefixCacheProducerType.parameters.safeParse(params).success).toBe(false);
  });
});
