import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../common/logger.js";
import { EndpointStore } from "../datastore.js";
import { MetricsCollector } from "./collector.js";
import type { MetricsDataSource, MetricsExtractor } from "../../api/datalayer.js";
import { newInTreeRegistry } from "../../plugins/in-tree.js";
import { waitUntil } from "../../../../test/epp/support/epp-harness.js";
import { type RunningModelServer, startModelServer } from "../../../../test/epp/support/model-server.js";
import { testHandle } from "../../../../test/epp/support/scheduling.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pipeline(params: { path?: string } = {}) {
  const registry = newInTreeRegistry();
  const handle = await testHandle();
  const source = registry.create("metrics-data-source", "s", params, handle);
  const extractor = registry.create("core-metrics-extractor", "x", undefined, handle);
  if (!source.ok || !extractor.ok) throw new Error("plugins");
  return { source: source.value as MetricsDataSource, extractor: extractor.value as MetricsExtractor };
}

function storeFor(servers: RunningModelServer[], stalenessMs = 2000) {
  const store = new EndpointStore(stalenessMs);
  store.replaceAll(
    servers.map((s) => ({
      key: s.key,
      name: s.key,
      namespace: "default",
      podName: s.key,
      address: "127.0.0.1",
      port: s.port,
      metricsPort: s.port,
      labels: s.state.engine === "sglang" ? { "inference.networking.k8s.io/engine-type": "sglang" } : {},
      models: [],
      loraAdapters: [],
      maxLoras: undefined,
    })),
  );
  return store;
}

async function collect(store: EndpointStore, results: string[] = [], params: { path?: string } = {}) {
  const { source, extractor } = await pipeline(params);
  const collector = new MetricsCollector(store, source, extractor, {
    intervalMs: 10,
    timeoutMs: 500,
    logger: silentLogger(),
    onScrape: (r) => results.push(r),
  });
  collector.start();
  cleanups.push(() => collector.stop());
  return collector;
}

describe("MetricsCollector against live model servers", () => {
  it("scrapes every endpoint, per engine, and follows changes", async () => {
    const vllm = await startModelServer({ waiting: 3, running: 2, kv: 0.5, runningLoras: ["a"], maxLora: 2 });
    const sglang = await startModelServer({ engine: "sglang", waiting: 1, kv: 0.1, blockSize: 32, numGpuBlocks: 77 });
    cleanups.push(
      () => vllm.stop(),
      () => sglang.stop(),
    );
    const store = storeFor([vllm, sglang]);
    await collect(store);
    await waitUntil(() => store.list().every((e) => e.lastMetrics !== undefined), 5000, "first scrape");
    const [v, s] = store.list().map((e) => e.lastMetrics!);
    expect(v).toMatchObject({
      waitingQueueSize: 3,
      runningRequestsSize: 2,
      kvCacheUsagePercent: 0.5,
      maxActiveModels: 2,
    });
    expect([...v!.activeModels]).toEqual(["a"]);
    expect(s).toMatchObject({ waitingQueueSize: 1, kvCacheUsagePercent: 0.1, cacheBlockSize: 32, cacheNumBlocks: 77 });

    vllm.set({ waiting: 9 });
    await waitUntil(() => store.get(vllm.key)!.lastMetrics!.waitingQueueSize === 9, 5000, "updated queue");
  });

  it("keeps the last metrics when scrapes fail, until they age into unknown", async () => {
    const server = await startModelServer({ waiting: 4 });
    cleanups.push(() => server.stop());
    const store = storeFor([server], 150);
    const results: string[] = [];
    await collect(store, results);
    const ep = store.get(server.key)!;
    await waitUntil(() => ep.lastMetrics !== undefined, 5000, "first scrape");
    server.set({ status: 500 });
    await waitUntil(() => results.includes("error"), 5000, "a failed scrape");
    expect(ep.lastMetrics?.waitingQueueSize).toBe(4);
    await waitUntil(() => ep.metricsAt(performance.now()) === undefined, 5000, "staleness");
    server.set({ status: 200, waiting: 1 });
    await waitUntil(() => ep.metricsAt(performance.now())?.waitingQueueSize === 1, 5000, "recovery");
  });

  it("stops scraping an endpoint discovery removed and starts on one it added", async () => {
    const a = await startModelServer();
    const b = await startModelServer();
    cleanups.push(
      () => a.stop(),
      () => b.stop(),
    );
    const store = storeFor([a]);
    await collect(store);
    await waitUntil(() => a.scrapes() > 0, 5000, "scrapes of a");
    store.replaceAll([{ ...store.get(a.key)!.metadata, key: b.key, port: b.port, metricsPort: b.port }]);
    await waitUntil(() => b.scrapes() > 0, 5000, "scrapes of b");
    const frozen = a.scrapes();
    await waitUntil(() => b.scrapes() > 5, 5000, "more scrapes of b");
    expect(a.scrapes()).toBeLessThanOrEqual(frozen + 1); // at most the scrape in flight at removal
  });

  it("reports an unreachable endpoint as failing scrapes without crashing", async () => {
    const server = await startModelServer();
    await server.stop(); // the port is now closed
    const store = storeFor([server]);
    const results: string[] = [];
    await collect(store, results);
    await waitUntil(() => results.filter((r) => r === "error").length >= 3, 5000, "failed scrapes");
    expect(store.get(server.key)!.lastMetrics).toBeUndefined();
  });

  it("honours the data source path", async () => {
    const server = await startModelServer();
    cleanups.push(() => server.stop());
    const store = storeFor([server]);
    const results: string[] = [];
    await collect(store, results, { path: "/other" });
    await waitUntil(() => results.includes("error"), 5000, "404 scrape");
    expect(store.get(server.key)!.lastMetrics).toBeUndefined();
  });
});
