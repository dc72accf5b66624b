import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestBody, requestHeaders, summarize } from "../support/messages.js";
import { type RunningEpp, startEpp, waitUntil, writeTemp } from "./support/epp-harness.js";
import { FakeKubeApi, pod, pool } from "./support/fake-kube-api.js";
import { healthStatus, ServingStatus } from "./support/health-client.js";

const APP = { app: "vllm" };
const CHAT = { ":method": "POST", ":path": "/v1/chat/completions" };

describe("epp --pool-name: Kubernetes discovery through the real server", () => {
  let api: FakeKubeApi;
  let epp: RunningEpp;

  beforeAll(async () => {
    api = await new FakeKubeApi("inference").start();
    epp = await startEpp({
      overrides: {
        pool: {
          poolName: "llama",
          poolNamespace: "inference",
          poolGroup: "inference.networking.k8s.io",
          kubeconfig: writeTemp(api.kubeconfig(), "kubeconfig"),
        },
      },
    });
  });
  afterAll(async () => {
    await epp.stop();
    await api.stop();
  });

  it("is live but not ready until the pool is discovered, then routes to its Ready pods", async () => {
    const port = epp.server.ports.health;
    expect(await healthStatus(port, "liveness")).toBe(ServingStatus.SERVING);
    expect(await healthStatus(port, "readiness")).toBe(ServingStatus.NOT_SERVING);
    expect(await healthStatus(port, "envoy.service.ext_proc.v3.ExternalProcessor")).toBe(ServingStatus.NOT_SERVING);
    expect((await fetch(`http://127.0.0.1:${epp.server.ports.metrics}/readyz`)).status).toBe(503);

    // Before discovery a request gets a defined answer: 503, no endpoints.
    const early = epp.client.open();
    early.send(requestHeaders(CHAT)).send(requestBody(`{"model":"m"}`, true));
    expect(summarize((await early.waitFor(1))[0]!)).toMatchObject({ kind: "immediate", status: 503 });

    api.apply("inferencepools", pool("llama", APP, [8000]));
    api.apply("pods", pod("llama-0", "10.20.0.1", APP));
    await waitUntil(() => epp.server.store.list().length === 1, 5000, "discovery");
    await waitUntil(() => epp.server.store.synced, 5000, "sync");
    await expect.poll(() => healthStatus(port, "readiness")).toBe(ServingStatus.SERVING);
    expect(await healthStatus(port, "envoy.service.ext_proc.v3.ExternalProcessor")).toBe(ServingStatus.SERVING);
    expect((await fetch(`http://127.0.0.1:${epp.server.ports.metrics}/readyz`)).status).toBe(200);

    const stream = epp.client.open();
    stream.send(requestHeaders(CHAT)).send(requestBody(`{"model":"m"}`, true));
    const [first] = await stream.waitFor(1);
    expect(first!.dynamicMetadata).toEqual({ "envoy.lb": { "x-gateway-destination-endpoint": "10.20.0.1:8000" } });
    stream.cancel();
    expect(await epp.metricsText()).toContain("inference_pool_ready_pods 1");
  });
});
