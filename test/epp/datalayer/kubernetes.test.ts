import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/common/logger.js";
import { EndpointStore } from "../../../src/epp/datalayer/datastore.js";
import { KubernetesDiscovery } from "../../../src/epp/datalayer/kubernetes/pool-discovery.js";
import { endpointsOfPool, parsePoolSpec, type PodLike } from "../../../src/epp/datalayer/kubernetes/pool.js";
import { waitUntil } from "../support/epp-harness.js";
import { FakeKubeApi, pod, pool } from "../support/fake-kube-api.js";

const APP = { app: "vllm" };

describe("InferencePool → endpoints (pure)", () => {
  it.each([
    { name: "v1 pool", obj: pool("p", APP, [8000, 8001]), want: { matchLabels: APP, targetPorts: [8000, 8001] } },
    {
      name: "v1alpha2 pool (flat selector, targetPortNumber)",
      obj: { metadata: { name: "p" }, spec: { selector: APP, targetPortNumber: 9000 } },
      want: { matchLabels: APP, targetPorts: [9000] },
    },
    {
      name: "no selector",
      obj: { metadata: { name: "p" }, spec: { targetPorts: [{ number: 1 }] } },
      want: "InferencePool spec.selector.matchLabels is missing or empty",
    },
    { name: "no valid port", obj: pool("p", APP, [0]), want: "InferencePool spec.targetPorts has no valid port" },
    { name: "no spec", obj: { metadata: { name: "p" } }, want: "InferencePool has no spec" },
  ])("$name", ({ obj, want }) => {
    expect(parsePoolSpec(obj)).toEqual(want);
  });

  it("makes one endpoint per Ready selected pod and target port, named <pod>-rank-<i>", () => {
    const spec = { matchLabels: APP, targetPorts: [8000, 8002] };
    const pods = [
      pod("a", "10.1.0.1", APP, {
        annotations: { "inference-bbr.io/models": "llama, qwen", "inference-bbr.io/max-loras": "4" },
      }),
      pod("b", "10.1.0.2", APP, { ready: false }),
      pod("c", "10.1.0.3", { app: "other" }),
      pod("d", "10.1.0.4", APP, { deleting: true }),
      pod("e", "10.1.0.5", APP, { annotations: { "inference.networking.k8s.io/active-ports": "8002" } }),
    ] as unknown as PodLike[];
    const got = endpointsOfPool(spec, pods);
    expect(got.map((e) => [e.key, e.name, e.metricsPort])).toEqual([
      ["10.1.0.1:8000", "a-rank-0", 8000],
      ["10.1.0.1:8002", "a-rank-1", 8002],
      ["10.1.0.5:8002", "e-rank-1", 8002],
    ]);
    expect(got[0]).toMatchObject({ models: ["llama", "qwen"], maxLoras: 4, podName: "a", namespace: "" });
  });
});

describe("KubernetesDiscovery against a list/watch API server", () => {
  let api: FakeKubeApi;
  let discovery: KubernetesDiscovery | undefined;
  let store: EndpointStore;

  beforeEach(async () => {
    api = await new FakeKubeApi("serving").start();
    store = new EndpointStore(2000);
  });
  afterEach(async () => {
    await discovery?.stop();
    discovery = undefined;
    await api.stop();
  });

  function start(poolGroup = "inference.networking.k8s.io") {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(api.kubeconfig());
    discovery = new KubernetesDiscovery({
      kubeConfig,
      namespace: "serving",
      poolName: "llama",
      poolGroup,
      store,
      logger: silentLogger(),
      retryDelayMs: 20,
    });
    discovery.start();
  }

  const endpointKeys = () => store.list().map((e) => e.metadata.key);
  const waitForKeys = (want: string[], what = "endpoints") =>
    waitUntil(
      () => JSON.stringify(endpointKeys()) === JSON.stringify(want),
      5000,
      `${what}: ${want.join(",")} (have ${endpointKeys().join(",")})`,
    );

  it("lists the pool and its Ready pods, then follows pod changes through the watch", async () => {
    api.apply("inferencepools", pool("llama", APP, [8000]));
    api.apply("inferencepools", pool("other-pool", { app: "x" }, [9000]));
    api.apply("pods", pod("a", "10.1.0.1", APP));
    api.apply("pods", pod("b", "10.1.0.2", APP, { ready: false }));
    api.apply("pods", pod("x", "10.1.0.9", { app: "x" }));
    start();
    await waitForKeys(["10.1.0.1:8000"], "initial list");
    expect(store.synced).toBe(true);

    api.apply("pods", pod("b", "10.1.0.2", APP)); // becomes Ready
    await waitForKeys(["10.1.0.1:8000", "10.1.0.2:8000"], "pod ready");
    api.apply("pods", pod("a", "10.1.0.1", APP, { deleting: true }));
    await waitForKeys(["10.1.0.2:8000"], "pod terminating");
    api.remove("pods", "b");
    await waitForKeys([], "pod deleted");

    // Requests carried the kubeconfig's token and the pool's selectors.
    expect(api.requests.every((r) => r.authorization === "Bearer test-token")).toBe(true);
    const listPools = api.requests.find((r) => r.path.endsWith("/inferencepools") && r.query["watch"] === undefined);
    expect(listPools?.path).toBe("/apis/inference.networking.k8s.io/v1/namespaces/serving/inferencepools");
    expect(listPools?.query["fieldSelector"]).toBe("metadata.name=llama");
    expect(api.requests.find((r) => r.path.endsWith("/pods"))?.query["labelSelector"]).toBe("app=vllm");
  });

  it("is not synced while the pool does not exist, and syncs when it appears", async () => {
    api.apply("pods", pod("a", "10.1.0.1", APP));
    start();
    await waitUntil(() => api.openWatches("inferencepools") === 1, 5000, "pool watch");
    expect(store.synced).toBe(false);
    api.apply("inferencepools", pool("llama", APP, [8000, 8001]));
    await waitForKeys(["10.1.0.1:8000", "10.1.0.1:8001"], "pool created");
    expect(store.synced).toBe(true);
  });

  it("re-selects pods when the pool's selector or ports change, and empties the store when it is deleted", async () => {
    api.apply("inferencepools", pool("llama", APP, [8000]));
    api.apply("pods", pod("a", "10.1.0.1", APP));
    api.apply("pods", pod("b", "10.1.0.2", { app: "vllm-v2" }));
    start();
    await waitForKeys(["10.1.0.1:8000"]);
    api.apply("inferencepools", pool("llama", { app: "vllm-v2" }, [8000]));
    await waitForKeys(["10.1.0.2:8000"], "new selector");
    api.apply("inferencepools", pool("llama", { app: "vllm-v2" }, [8000, 8001]));
    await waitForKeys(["10.1.0.2:8000", "10.1.0.2:8001"], "new ports");
    api.remove("inferencepools", "llama");
    await waitForKeys([], "pool deleted");
  });

  it("serves no endpoints for an invalid pool", async () => {
    api.apply("inferencepools", pool("llama", APP, [8000]));
    api.apply("pods", pod("a", "10.1.0.1", APP));
    start();
    await waitForKeys(["10.1.0.1:8000"]);
    api.apply("inferencepools", {
      metadata: { name: "llama" },
      spec: { selector: { matchLabels: {} }, targetPorts: [] },
    });
    await waitForKeys([], "invalid pool");
  });

  it("retries failed lists and keeps the last endpoints meanwhile; resumes after a cut watch", async () => {
    api.apply("inferencepools", pool("llama", APP, [8000]));
    api.apply("pods", pod("a", "10.1.0.1", APP));
    api.failLists("inferencepools", 500);
    api.failLists("pods", 503, 500);
    start();
    await waitForKeys(["10.1.0.1:8000"], "after retries");
    expect(
      api.requests.filter((r) => r.path.endsWith("/pods") && r.query["watch"] === undefined).length,
    ).toBeGreaterThanOrEqual(3);

    api.closeWatches();
    api.apply("pods", pod("c", "10.1.0.3", APP));
    await waitForKeys(["10.1.0.1:8000", "10.1.0.3:8000"], "after reconnect");
  });

  it("watches v1alpha2 pools for the legacy group", async () => {
    api.apply("inferencepools", { metadata: { name: "llama" }, spec: { selector: APP, targetPortNumber: 8000 } });
    api.apply("pods", pod("a", "10.1.0.1", APP));
    start("inference.networking.x-k8s.io");
    await waitForKeys(["10.1.0.1:8000"]);
    expect(api.requests[0]?.path).toBe(
      "/apis/inference.networking.x-k8s.io/v1alpha2/namespaces/serving/inferencepools",
    );
  });
});
