import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessingMode_BodySendMode as BodySendMode } from "../../src/gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ProcessingRequestSchema,
  ProcessingResponse,
} from "../../src/gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import type { TestStream } from "../support/ext-proc-client.js";
import {
  type ExtraFields,
  requestBody,
  requestHeaders,
  requestTrailers,
  responseBody,
  responseHeaders,
  responseTrailers,
  summarize,
  type Summary,
} from "../support/messages.js";
import { endpointsYaml, type RunningEpp, startEpp, waitForMetrics } from "./support/epp-harness.js";
import { type RunningModelServer, startModelServer } from "./support/model-server.js";

const CHAT = {
  ":method": "POST",
  ":path": "/v1/chat/completions",
  "content-type": "application/json",
  "x-request-id": "req-1",
};
const BODY = `{"model":"m1","messages":[{"role":"user","content":"hello"}]}`;
const DEST = "x-gateway-destination-endpoint";

function subsetHint(value: unknown): ExtraFields {
  return {
    metadataContext: {
      filterMetadata: { "envoy.lb.subset_hint": { "x-gateway-destination-endpoint-subset": value as never } },
    },
  };
}

type RequestInit = MessageInitShape<typeof ProcessingRequestSchema>;

/** withServed adds the data plane's served-endpoint report to a response-path message. */
function withServed(message: RequestInit, served: string): RequestInit {
  return {
    ...message,
    metadataContext: { filterMetadata: { "envoy.lb": { "x-gateway-destination-endpoint-served": served } } },
  } as RequestInit;
}

function sets(s: Summary | undefined): [string, string][] {
  return s && "common" in s ? (s.common?.mutation?.set ?? []) : [];
}

/** destinationOf returns the destination header and the envoy.lb metadata value of a headers answer. */
function destinationOf(r: ProcessingResponse): { header: string | undefined; metadata: unknown } {
  const header = sets(summarize(r)).find(([k]) => k === DEST)?.[1];
  return { header, metadata: r.dynamicMetadata };
}

function lbMetadata(destination: string) {
  return { "envoy.lb": { [DEST]: destination } };
}

/** schedule sends a complete request and returns the first two answers (headers, body). */
async function schedule(epp: RunningEpp, body = BODY, extra: ExtraFields = {}, headers: Record<string, string> = CHAT) {
  const stream = epp.client.open();
  stream.send(requestHeaders(headers, false, extra)).send(requestBody(body, true));
  const got = await stream.waitFor(1);
  return { stream, first: got[0]! };
}

async function immediate(stream: TestStream) {
  const [r] = await stream.waitFor(1);
  const s = summarize(r!);
  if (s.kind !== "immediate") throw new Error(`expected an immediate response, got ${s.kind}`);
  return { ...s, json: JSON.parse(s.body) as unknown };
}

describe("EPP protocol through the real server (FULL_DUPLEX_STREAMED)", () => {
  let servers: RunningModelServer[];
  let epp: RunningEpp;

  beforeAll(async () => {
    // Queue lengths 0 / 5 / 10: with the default scorers the first one is the clear winner.
    servers = await Promise.all([0, 5, 10].map((waiting) => startModelServer({ waiting })));
    epp = await startEpp({
      endpoints: endpointsYaml(servers.map((s) => ({ port: s.port }))),
      config: `
featureGates: [DestinationEndpointServedVerifier]
plugins:
- type: model-filter
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: prefix-cache-scorer
- type: destination-endpoint-served-verifier
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: model-filter
  - pluginRef: queue-scorer
    weight: 2
  - pluginRef: kv-cache-utilization-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
`,
    });
    await waitForMetrics(
      epp,
      servers.map((s) => s.key),
    );
  });
  afterAll(async () => {
    await epp.stop();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("answers after the body: destination header and identical envoy.lb metadata, then the body unchanged", async () => {
    const { stream } = await schedule(epp);
    const got = await stream.waitFor(2);
    const [headers, body] = got.map(summarize);
    expect(headers).toEqual({
      kind: "requestHeaders",
      common: {
        clearRouteCache: true,
        mutation: {
          set: [
            [DEST, servers[0]!.key],
            ["Content-Length", String(BODY.length)],
          ],
          remove: [],
        },
      },
    });
    expect(got[0]!.dynamicMetadata).toEqual(lbMetadata(servers[0]!.key));
    expect(body).toEqual({
      kind: "requestBody",
      common: { clearRouteCache: false, mutation: null, streamed: { body: BODY, eos: true } },
    });
    stream.cancel();
  });

  it("sends nothing until the body is complete, then reassembles the chunks", async () => {
    const stream = epp.client.open();
    stream.send(requestHeaders(CHAT)).send(requestBody(BODY.slice(0, 10), false));
    expect(await stream.settle(100)).toEqual([]);
    stream.send(requestBody(BODY.slice(10), true));
    const got = (await stream.waitFor(2)).map(summarize);
    expect(got[1]).toMatchObject({ common: { streamed: { body: BODY, eos: true } } });
    stream.cancel();
  });

  it.each([
    { name: "a listed endpoint", hint: () => [servers[2]!.key], want: () => servers[2]!.key },
    {
      name: "two of three (best of them wins)",
      hint: () => [servers[2]!.key, servers[1]!.key],
      want: () => servers[1]!.key,
    },
    {
      name: "a comma-separated string",
      hint: () => `${servers[2]!.key}, ${servers[1]!.key}`,
      want: () => servers[1]!.key,
    },
    { name: "a bare IP (every port of it)", hint: () => ["127.0.0.1"], want: () => servers[0]!.key },
  ])("honours the subset hint: $name", async ({ hint, want }) => {
    const { stream, first } = await schedule(epp, BODY, subsetHint(hint()));
    expect(destinationOf(first)).toEqual({ header: want(), metadata: lbMetadata(want()) });
    stream.cancel();
  });

  it.each([
    {
      name: "empty",
      hint: [] as unknown,
      reason: "empty_endpoint_subset",
      message: "the endpoint subset hint is empty",
    },
    {
      name: "unmatched",
      hint: ["10.9.9.9:8000"] as unknown,
      reason: "unmatched_endpoint_subset",
      message: "no ready endpoint matches the endpoint subset hint",
    },
    {
      name: "malformed (a number)",
      hint: 7 as unknown,
      reason: "empty_endpoint_subset",
      message: "the endpoint subset hint is empty",
    },
  ])("answers 503 for an $name subset hint", async ({ hint, reason, message }) => {
    const stream = epp.client.open();
    stream.send(requestHeaders(CHAT, false, subsetHint(hint))).send(requestBody(BODY, true));
    const got = await immediate(stream);
    expect(got).toMatchObject({
      status: 503,
      headers: {
        set: [
          ["content-type", "application/json"],
          ["x-llm-d-request-dropped-reason", "rejected-no-endpoints"],
        ],
        remove: [],
      },
      details: `epp_${reason}`,
    });
    expect(got.json).toEqual({ error: { message, type: "server_error", code: reason } });
    expect((await stream.end()).code).toBe(0);
  });

  it.each([
    { name: "invalid JSON", body: "{not json", reason: "invalid_json", message: "request body is not valid JSON" },
    { name: "a JSON array", body: "[1,2]", reason: "invalid_body", message: "request body must be a JSON object" },
    { name: "no model", body: `{"messages":[]}`, reason: "missing_model", message: "model not found in request body" },
    {
      name: "an empty model",
      body: `{"model":""}`,
      reason: "missing_model",
      message: "model not found in request body",
    },
    { name: "an empty body", body: "", reason: "missing_body", message: "request body is empty" },
    {
      name: "invalid UTF-8",
      body: new Uint8Array([0x7b, 0xff, 0x7d]),
      reason: "invalid_json",
      message: "request body is not valid JSON",
    },
  ])("answers 400 for $name", async ({ body, reason, message }) => {
    const stream = epp.client.open();
    stream.send(requestHeaders(CHAT)).send(requestBody(body, true));
    const got = await immediate(stream);
    expect(got.status).toBe(400);
    expect(got.headers?.set).toEqual([["content-type", "application/json"]]);
    expect(got.json).toEqual({ error: { message, type: "invalid_request_error", code: reason } });
  });

  it("reads the served endpoint on the response path and streams the response through unchanged", async () => {
    const { stream } = await schedule(epp);
    await stream.waitFor(2);
    stream.send(withServed(responseHeaders({ ":status": "200", "content-type": "application/json" }), "10.0.0.7:8000"));
    const reply = '{"id":"x","usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}';
    stream.send(responseBody(reply.slice(0, 5), false)).send(responseBody(reply.slice(5), true));
    const got = (await stream.waitFor(5)).map(summarize);
    expect(got[2]).toEqual({
      kind: "responseHeaders",
      common: {
        clearRouteCache: true,
        mutation: { set: [["x-conformance-test-served-endpoint", "10.0.0.7:8000"]], remove: [] },
      },
    });
    expect(got.slice(3)).toEqual([
      {
        kind: "responseBody",
        common: { clearRouteCache: false, mutation: null, streamed: { body: reply.slice(0, 5), eos: false } },
      },
      {
        kind: "responseBody",
        common: { clearRouteCache: false, mutation: null, streamed: { body: reply.slice(5), eos: true } },
      },
    ]);
    const { end } = await stream.finish();
    expect(end.code).toBe(0);
    expect(await epp.metricsText()).toContain(
      'inference_objective_input_tokens_sum{model_name="m1",target_model_name="m1"} 11',
    );
  });

  it("answers a response without served-endpoint metadata with no header change", async () => {
    const { stream } = await schedule(epp);
    await stream.waitFor(2);
    stream.send(responseHeaders({ ":status": "200" }, true));
    const got = (await stream.waitFor(3)).map(summarize);
    expect(got[2]).toEqual({ kind: "responseHeaders", common: null });
    stream.cancel();
  });

  it("reads usage from the final SSE event of a streamed response", async () => {
    const { stream } = await schedule(
      epp,
      `{"model":"sse-model","stream":true,"prompt":"hi"}`,
      {},
      { ...CHAT, ":path": "/v1/completions" },
    );
    await stream.waitFor(2);
    stream.send(responseHeaders({ ":status": "200", "content-type": "text/event-stream" }));
    const events = [
      'data: {"choices":[{"text":"a"}],"usage":null}\n\n',
      'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":42}}\n\ndata: [DONE]\n\n',
    ];
    // Split inside the usage event so the parser must join lines across chunks.
    const all = events.join("");
    const cut = all.indexOf("completion_tokens");
    stream
      .send(responseBody(all.slice(0, cut), false))
      .send(responseBody(all.slice(cut), false))
      .send(responseTrailers());
    const got = (await stream.waitFor(6)).map(summarize);
    expect(got.slice(3, 5).map((s) => ("common" in s ? s.common?.streamed : undefined))).toEqual([
      { body: all.slice(0, cut), eos: false },
      { body: all.slice(cut), eos: false },
    ]);
    expect(got[5]).toEqual({ kind: "responseTrailers", mutation: null });
    await stream.finish();
    expect(await epp.metricsText()).toContain(
      'inference_objective_output_tokens_sum{model_name="sse-model",target_model_name="sse-model"} 42',
    );
  });

  it("answers a request without a body at once with a random candidate, honouring the subset hint", async () => {
    const stream = epp.client.open();
    stream.send(requestHeaders({ ":method": "GET", ":path": "/v1/models" }, true, subsetHint([servers[1]!.key])));
    const [r] = await stream.waitFor(1);
    expect(destinationOf(r!)).toEqual({ header: servers[1]!.key, metadata: lbMetadata(servers[1]!.key) });
    stream.cancel();
  });

  it("rewrites the body model for x-gateway-model-name-rewrite and sets the new length", async () => {
    const { stream } = await schedule(epp, BODY, {}, { ...CHAT, "x-gateway-model-name-rewrite": "m1-v2" });
    const got = (await stream.waitFor(2)).map(summarize);
    const rewritten = `{"model":"m1-v2","messages":[{"role":"user","content":"hello"}]}`;
    expect(sets(got[0])).toEqual([
      [DEST, servers[0]!.key],
      ["Content-Length", String(rewritten.length)],
    ]);
    expect(got[1]).toMatchObject({ common: { streamed: { body: rewritten, eos: true } } });
    stream.cancel();
  });

  it("splits a large body into pieces of at most 62,000 bytes, the last with end_of_stream", async () => {
    const prompt = "x".repeat(150_000);
    const body = JSON.stringify({ model: "m1", prompt });
    const { stream } = await schedule(epp, body, {}, { ...CHAT, ":path": "/v1/completions" });
    const got = (await stream.waitFor(4)).map(summarize);
    const pieces = got.slice(1).map((s) => ("common" in s ? s.common?.streamed : undefined));
    expect(pieces.map((p) => p?.body.length)).toEqual([62_000, 62_000, body.length - 124_000]);
    expect(pieces.map((p) => p?.eos)).toEqual([false, false, true]);
    expect(pieces.map((p) => p?.body).join("")).toBe(body);
    stream.cancel();
  });

  it("flushes headers and body when request trailers end the body, then answers the trailers", async () => {
    const stream = epp.client.open();
    stream
      .send(requestHeaders(CHAT))
      .send(requestBody(BODY, false))
      .send(requestTrailers({ "x-t": "1" }));
    const got = (await stream.waitFor(3)).map(summarize);
    expect(got.map((s) => s.kind)).toEqual(["requestHeaders", "requestBody", "requestTrailers"]);
    expect(got[1]).toMatchObject({ common: { streamed: { body: BODY, eos: false } } });
    stream.cancel();
  });

  it("answers BUFFERED mode on the body message with the header mutation and the metadata", async () => {
    const stream = epp.client.open();
    const protocolConfig = { requestBodyMode: BodySendMode.BUFFERED, responseBodyMode: BodySendMode.BUFFERED };
    stream.send(requestHeaders(CHAT, false, { protocolConfig })).send(requestBody(BODY, true));
    const got = await stream.waitFor(2);
    expect(summarize(got[0]!)).toEqual({ kind: "requestHeaders", common: null });
    expect(summarize(got[1]!)).toEqual({
      kind: "requestBody",
      common: { clearRouteCache: true, mutation: { set: [[DEST, servers[0]!.key]], remove: [] } },
    });
    expect(got[1]!.dynamicMetadata).toEqual(lbMetadata(servers[0]!.key));
    stream.cancel();
  });

  it("fails the stream (FailedPrecondition) when Envoy streams the request body in STREAMED mode", async () => {
    const stream = epp.client.open();
    const protocolConfig = { requestBodyMode: BodySendMode.STREAMED, responseBodyMode: BodySendMode.STREAMED };
    stream.send(requestHeaders(CHAT, false, { protocolConfig }));
    const end = await stream.end();
    expect(end.code).toBe(9);
    expect(end.details).toContain("FULL_DUPLEX_STREAMED");
  });

  it("fails the stream (InvalidArgument) for a protocol violation: request headers twice", async () => {
    const stream = epp.client.open();
    stream.send(requestHeaders(CHAT)).send(requestHeaders(CHAT));
    expect((await stream.end()).code).toBe(3);
  });
});

describe("EPP fallback list", () => {
  let servers: RunningModelServer[];
  let epp: RunningEpp;

  beforeAll(async () => {
    servers = await Promise.all([4, 0, 8].map((waiting) => startModelServer({ waiting })));
    epp = await startEpp({
      endpoints: endpointsYaml(servers.map((s) => ({ port: s.port }))),
      config: `
plugins:
- type: queue-scorer
- type: max-score-picker
  parameters: {maxNumOfEndpoints: 3}
`,
    });
    await waitForMetrics(
      epp,
      servers.map((s) => s.key),
    );
  });
  afterAll(async () => {
    await epp.stop();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("lists every picked endpoint best first, identically in the header and the metadata", async () => {
    const { stream, first } = await schedule(epp);
    const want = [servers[1]!.key, servers[0]!.key, servers[2]!.key].join(",");
    expect(destinationOf(first)).toEqual({ header: want, metadata: lbMetadata(want) });
    stream.cancel();
  });
});

describe("EPP rejections: 503 without endpoints, 429 when shedding, 413 for huge bodies", () => {
  let saturated: RunningModelServer[];
  let epp: RunningEpp;

  beforeAll(async () => {
    // Queues at twice the threshold (5): pool saturation 2.0.
    saturated = await Promise.all([10, 10].map((waiting) => startModelServer({ waiting })));
    epp = await startEpp({
      endpoints: endpointsYaml(saturated.map((s) => ({ port: s.port, models: ["m1"] }))),
      objectives: "objectives:\n- {name: batch, priority: -1}\n- {name: interactive, priority: 10}\n",
      overrides: { maxBodyBytes: 1000 },
    });
    await waitForMetrics(
      epp,
      saturated.map((s) => s.key),
    );
  });
  afterAll(async () => {
    await epp.stop();
    await Promise.all(saturated.map((s) => s.stop()));
  });

  it("sheds a sheddable request (negative priority) with 429 while the pool is saturated", async () => {
    const stream = epp.client.open();
    stream.send(requestHeaders({ ...CHAT, "x-gateway-inference-objective": "batch" })).send(requestBody(BODY, true));
    const got = await immediate(stream);
    expect(got.status).toBe(429);
    expect(got.headers?.set).toEqual([
      ["content-type", "application/json"],
      ["x-llm-d-request-dropped-reason", "rejected-saturated"],
    ]);
    expect(got.json).toEqual({
      error: {
        message: "system saturated, sheddable request dropped",
        type: "rate_limit_error",
        code: "sheddable_request_dropped",
      },
    });
  });

  it.each([
    { name: "no objective", headers: {} },
    { name: "a positive priority", headers: { "x-gateway-inference-objective": "interactive" } },
    { name: "an unknown objective (priority 0)", headers: { "x-llm-d-inference-objective": "nope" } },
  ])("never sheds a request with $name", async ({ headers }) => {
    const { stream, first } = await schedule(epp, BODY, {}, { ...CHAT, ...headers });
    expect(summarize(first).kind).toBe("requestHeaders");
    stream.cancel();
  });

  it("answers 503 when no endpoint serves the requested model", async () => {
    const stream = epp.client.open();
    stream.send(requestHeaders(CHAT)).send(requestBody(`{"model":"other"}`, true));
    const got = await immediate(stream);
    expect(got.status).toBe(503);
    expect(got.json).toEqual({
      error: { message: 'no ready endpoint serves model "other"', type: "server_error", code: "model_not_served" },
    });
  });

  it("answers 413 for a body over --max-body-bytes", async () => {
    const stream = epp.client.open();
    stream
      .send(requestHeaders(CHAT))
      .send(requestBody("x".repeat(600), false))
      .send(requestBody("x".repeat(600), true));
    const got = await immediate(stream);
    expect(got.status).toBe(413);
    expect(got.json).toMatchObject({ error: { code: "request_body_too_large" } });
  });
});

describe("EPP with an empty pool", () => {
  let epp: RunningEpp;
  beforeAll(async () => {
    epp = await startEpp({ endpoints: "endpoints: []\n" });
  });
  afterAll(async () => {
    await epp.stop();
  });

  it.each([
    {
      name: "a request with a body",
      send: (s: TestStream) => s.send(requestHeaders(CHAT)).send(requestBody(BODY, true)),
    },
    {
      name: "a request without a body",
      send: (s: TestStream) => s.send(requestHeaders({ ":method": "GET", ":path": "/v1/models" }, true)),
    },
  ])("answers 503 for $name", async ({ send }) => {
    const stream = epp.client.open();
    send(stream);
    const got = await immediate(stream);
    expect(got.status).toBe(503);
    expect(got.json).toEqual({
      error: { message: "no ready endpoints in the pool", type: "server_error", code: "no_ready_endpoints" },
    });
  });
});

describe("EPP with the subset filter disabled", () => {
  let server: RunningModelServer;
  let epp: RunningEpp;
  beforeAll(async () => {
    server = await startModelServer();
    epp = await startEpp({ endpoints: endpointsYaml([{ port: server.port }]), overrides: { subsetFilter: false } });
  });
  afterAll(async () => {
    await epp.stop();
    await server.stop();
  });

  it("ignores an empty subset hint (--disable-endpoint-subset-filter)", async () => {
    const { stream, first } = await schedule(epp, BODY, subsetHint([]));
    expect(destinationOf(first).header).toBe(server.key);
    stream.cancel();
  });
});
