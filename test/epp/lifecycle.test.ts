import { afterEach, describe, expect, it } from "vitest";
import { requestBody, requestHeaders, responseBody, responseHeaders, summarize } from "../support/messages.js";
import { type Recorded, recordingRegistry } from "../fixtures/epp/plugins/recording-plugin.js";
import { endpointsYaml, type RunningEpp, startEpp, waitUntil } from "./support/epp-harness.js";
import { healthStatus, ServingStatus } from "./support/health-client.js";

const CHAT = { ":method": "POST", ":path": "/v1/chat/completions" };
const CONFIG = "plugins:\n- type: queue-scorer\n- type: recording-plugin\n";
const ENDPOINTS = endpointsYaml([{ port: 18000 }]);

describe("request-control hooks through the real server", () => {
  let epp: RunningEpp | undefined;
  afterEach(async () => {
    await epp?.stop();
    epp = undefined;
  });

  it("runs PreRequest, ResponseHeader, ResponseBody per chunk and ResponseComplete with usage, in order", async () => {
    const log: Recorded[] = [];
    epp = await startEpp({ config: CONFIG, endpoints: ENDPOINTS, registry: recordingRegistry(log) });
    const stream = epp.client.open();
    stream.send(requestHeaders({ ...CHAT, "x-request-id": "r1" })).send(requestBody(`{"model":"m"}`, true));
    await stream.waitFor(2);
    stream.send({
      ...responseHeaders({ ":status": "200", "content-type": "application/json" }),
      metadataContext: {
        filterMetadata: { "envoy.lb": { "x-gateway-destination-endpoint-served": "127.0.0.1:18000" } },
      },
    } as Parameters<typeof stream.send>[0]);
    stream
      .send(responseBody('{"usage":{"prompt_tokens":5,', false))
      .send(responseBody('"completion_tokens":8}}', true));
    await stream.waitFor(5);
    await stream.finish();
    expect(log).toEqual([
      { hook: "PreRequest", requestId: "r1", target: "127.0.0.1:18000" },
      { hook: "ResponseHeader", requestId: "r1", status: 200, served: "127.0.0.1:18000" },
      { hook: "ResponseBody", requestId: "r1", bytes: 28, eos: false },
      { hook: "ResponseBody", requestId: "r1", bytes: 23, eos: true },
      { hook: "ResponseComplete", requestId: "r1", aborted: false, usage: [5, 8], targets: ["127.0.0.1:18000"] },
    ]);
  });

  it("forces ResponseComplete (aborted) when the stream is cancelled mid-response, and skips it for rejected requests", async () => {
    const log: Recorded[] = [];
    epp = await startEpp({ config: CONFIG, endpoints: ENDPOINTS, registry: recordingRegistry(log) });
    const stream = epp.client.open();
    stream.send(requestHeaders({ ...CHAT, "x-request-id": "r2" })).send(requestBody(`{"model":"m"}`, true));
    await stream.waitFor(2);
    stream.send(responseHeaders({ ":status": "200", "content-type": "text/event-stream" }));
    await stream.waitFor(3);
    stream.cancel();
    await waitUntil(() => log.some((r) => r.hook === "ResponseComplete"), 5000, "forced completion");
    expect(log.at(-1)).toEqual({
      hook: "ResponseComplete",
      requestId: "r2",
      aborted: true,
      usage: undefined,
      targets: ["127.0.0.1:18000"],
    });

    const rejected = epp.client.open();
    rejected.send(requestHeaders({ ...CHAT, "x-request-id": "r3" })).send(requestBody("{", true));
    await rejected.waitFor(1);
    expect(log.filter((r) => r.requestId === "r3")).toEqual([]);
  });
});

describe("drain", () => {
  it("goes NOT_SERVING, lets an open stream finish, refuses new streams, then stops", async () => {
    const epp = await startEpp({ endpoints: ENDPOINTS });
    const { health, grpc } = epp.server.ports;
    expect(await healthStatus(health, "readiness")).toBe(ServingStatus.SERVING);
    const open = epp.client.open();
    open.send(requestHeaders(CHAT));
    await waitUntil(() => epp.server.inFlightStreams === 1, 5000, "stream open");

    const stopped = epp.server.stop(5000);
    await expect
      .poll(() => healthStatus(health, "readiness").catch(() => ServingStatus.NOT_SERVING))
      .toBe(ServingStatus.NOT_SERVING);
    const late = epp.client.open();
    late.send(requestHeaders(CHAT));
    expect((await late.end()).code).toBe(14); // UNAVAILABLE: Envoy retries another replica
    open.send(requestBody(`{"model":"m"}`, true));
    const [answer] = await open.waitFor(1);
    expect(summarize(answer!).kind).toBe("requestHeaders");
    open.halfClose();
    await stopped;
    epp.client.close();
    expect(grpc).toBeGreaterThan(0);
  });
});
