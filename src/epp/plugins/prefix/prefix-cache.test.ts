import { describe, expect, it } from "vitest";
import {
  endpoint,
  inferenceRequest,
  singleProfileResult,
  testHandle,
} from "../../../../test/epp/support/scheduling.js";
import {
  ApproxPrefixCacheProducer,
  approxPrefixProducerParameters,
} from "./approx-prefix-cache-producer/approx-prefix-cache-producer.js";
import { prefixMatchKey } from "./match-info.js";
import { PrefixCacheScorer } from "./prefix-cache-scorer/prefix-cache-scorer.js";

// The producer and the scorer together: what the index learns is what the scorer reports.
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
    producer.preRequest(first.req, singleProfileResult(endpoints[1]!), endpoints[1]!);
    expect(run(longPrompt("q1")).scores).toEqual([0, 1, 0]);
    producer.close();
  });

  it("scores a shared prefix as the share of matching leading blocks", async () => {
    const { run, producer, endpoints } = await setup();
    const first = run(longPrompt("question one, rather long to fill a few blocks of its own text here"));
    producer.preRequest(first.req, singleProfileResult(endpoints[0]!), endpoints[0]!);
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
    producer.preRequest(first.req, singleProfileResult(endpoints[0]!), endpoints[0]!);
    expect(run({ ...longPrompt("q"), model: "m2" }).scores).toEqual([0, 0, 0]);
    producer.close();
  });
});
