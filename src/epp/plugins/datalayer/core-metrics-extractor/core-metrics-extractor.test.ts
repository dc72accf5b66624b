import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { endpoint, testHandle } from "../../../../../test/epp/support/scheduling.js";
import { parseMetricsText } from "../../../datalayer/metrics/prometheus.js";
import { type CoreMetricsExtractor, coreMetricsExtractorType } from "./core-metrics-extractor.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../../test/fixtures/epp/metrics/${name}`, import.meta.url), "utf8");

async function extractor(parameters: unknown = undefined): Promise<CoreMetricsExtractor> {
  const created = coreMetricsExtractorType.create(
    "x",
    coreMetricsExtractorType.parameters.parse(parameters),
    await testHandle(),
  );
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  return created.value as CoreMetricsExtractor;
}

function extract(x: CoreMetricsExtractor, text: string, labels: Record<string, string> = {}) {
  const families = parseMetricsText(text);
  if (!families.ok) throw new Error(families.error);
  const out = x.extract(families.value, endpoint(1, null, { labels }).metadata);
  if (!out.ok) return { error: out.error };
  const m = out.value;
  return { ...m, activeModels: [...m.activeModels], waitingModels: [...m.waitingModels] };
}

const ENGINE = "inference.networking.k8s.io/engine-type";

describe("core-metrics-extractor engine mappings", () => {
  it.each([
    {
      engine: "vllm (the default, no label)",
      file: "vllm.txt",
      labels: {},
      want: {
        waitingQueueSize: 7,
        runningRequestsSize: 3,
        kvCacheUsagePercent: 0.42,
        // The LoRA series with the greatest value (its update time) wins.
        activeModels: ["sql-lora", "chat-lora"],
        waitingModels: ["tool-lora"],
        maxActiveModels: 4,
        cacheBlockSize: 16,
        cacheNumBlocks: 27033,
      },
    },
    {
      engine: "sglang",
      file: "sglang.txt",
      labels: { [ENGINE]: "sglang" },
      want: {
        waitingQueueSize: 4,
        runningRequestsSize: 2,
        kvCacheUsagePercent: 0.25,
        activeModels: [],
        maxActiveModels: 0,
        cacheBlockSize: 32,
        cacheNumBlocks: 5000,
      },
    },
    {
      engine: "trtllm-serve",
      file: "trtllm-serve.txt",
      labels: { [ENGINE]: "trtllm-serve" },
      want: {
        waitingQueueSize: 1,
        runningRequestsSize: 6,
        kvCacheUsagePercent: 0.9,
        cacheBlockSize: 64,
        cacheNumBlocks: 2048,
      },
    },
    {
      engine: "triton-tensorrt-llm",
      file: "triton-tensorrt-llm.txt",
      labels: { [ENGINE]: "triton-tensorrt-llm" },
      want: {
        waitingQueueSize: 2,
        runningRequestsSize: 5,
        kvCacheUsagePercent: 0.3,
        cacheBlockSize: 64,
        cacheNumBlocks: 1000,
      },
    },
  ])("$engine", async ({ file, labels, want }) => {
    expect(extract(await extractor(), fixture(file), labels)).toMatchObject(want);
  });

  it.each([
    {
      name: "a vLLM pod scraped as SGLang",
      file: "vllm.txt",
      labels: { [ENGINE]: "sglang" },
      error: "sglang metrics missing from scrape: sglang:num_queue_reqs",
    },
    { name: "an unknown engine label", file: "vllm.txt", labels: { [ENGINE]: "tgi" }, error: 'unknown engine "tgi"' },
    { name: "an empty page", file: "empty", labels: {}, error: "vllm metrics missing from scrape" },
  ])("refuses $name", async ({ file, labels, error }) => {
    const text = file === "empty" ? "" : fixture(file);
    expect((extract(await extractor(), text, labels) as { error: string }).error).toContain(error);
  });

  it("lets engineConfigs replace a built-in engine entirely (omitted specs disabled) and pick the label key", async () => {
    const x = await extractor({
      engineLabelKey: "llm-d.ai/engine-type",
      engineConfigs: [
        {
          name: "vllm",
          queuedRequestsSpec: "vllm:num_requests_waiting",
          runningRequestsSpec: "vllm:num_requests_running",
          kvUsageSpec: "vllm:gpu_cache_usage_perc",
        },
      ],
    });
    const old = "vllm:num_requests_waiting 1\nvllm:num_requests_running 2\nvllm:gpu_cache_usage_perc 0.5\n";
    expect(extract(x, old, { "llm-d.ai/engine-type": "vllm" })).toMatchObject({
      waitingQueueSize: 1,
      runningRequestsSize: 2,
      kvCacheUsagePercent: 0.5,
      maxActiveModels: 0,
      cacheBlockSize: 0,
    });
  });

  it("clamps KV utilisation to [0,1] and negative counts to 0", async () => {
    const text = "vllm:num_requests_waiting -3\nvllm:num_requests_running 1\nvllm:kv_cache_usage_perc 1.7\n";
    expect(extract(await extractor(), text)).toMatchObject({ waitingQueueSize: 0, kvCacheUsagePercent: 1 });
  });

  it("treats NaN as missing", async () => {
    const text = "vllm:num_requests_waiting NaN\nvllm:num_requests_running 1\nvllm:kv_cache_usage_perc 0\n";
    expect(extract(await extractor(), text)).toEqual({
      error: "vllm metrics missing from scrape: vllm:num_requests_waiting",
    });
  });

  it("prefers the newest timestamp when several series match", async () => {
    const text =
      'vllm:num_requests_waiting{a="1"} 9 2000\nvllm:num_requests_waiting{a="2"} 4 3000\nvllm:num_requests_running 0\nvllm:kv_cache_usage_perc 0\n';
    expect(extract(await extractor(), text)).toMatchObject({ waitingQueueSize: 4 });
  });
});

describe("core-metrics-extractor parameters", () => {
  it("picks the engine by label, vLLM when unlabelled", async () => {
    const x = await extractor({ engineLabelKey: "engine" });
    expect(x.engineOf(endpoint(1, null, { labels: { engine: "sglang" } }).metadata)).toBe("sglang");
    expect(x.engineOf(endpoint(1, null).metadata)).toBe("vllm");
  });

  it.each([
    {
      name: "an engine listed twice",
      params: { engineConfigs: [{ name: "e" }, { name: "e" }] },
      error: 'engine "e" twice',
    },
    { name: "an unknown default engine", params: { defaultEngine: "tgi" }, error: 'defaultEngine "tgi"' },
    {
      name: "a malformed metric spec",
      params: { engineConfigs: [{ name: "vllm", queuedRequestsSpec: "bad name" }] },
      error: 'engine "vllm" queuedRequestsSpec',
    },
  ])("refuses $name", async ({ params, error }) => {
    const created = coreMetricsExtractorType.create(
      "x",
      coreMetricsExtractorType.parameters.parse(params),
      await testHandle(),
    );
    expect(created.ok ? "" : String(created.error)).toContain(error);
  });
});
