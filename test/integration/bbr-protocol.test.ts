import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessingMode_BodySendMode as BodySendMode } from "../../src/gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode_pb.js";
import { type RunningBbr, startBbr } from "../support/bbr-test-server.js";
import {
  requestBody,
  requestHeaders,
  requestTrailers,
  responseBody,
  responseHeaders,
  responseTrailers,
  summarize,
  type Summary,
} from "../support/messages.js";

const JSON_POST = { ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json" };
const OWNED = ["X-Gateway-Model-Name", "X-Gateway-Base-Model-Name"];

function headerSets(s: Summary | undefined): [string, string][] {
  if (!s || !("common" in s) || !s.common?.mutation) return [];
  return s.common.mutation.set;
}
function headerRemoves(s: Summary | undefined): string[] {
  if (!s || !("common" in s) || !s.common?.mutation) return [];
  return s.common.mutation.remove;
}
function streamedBodies(all: Summary[]): { body: string; eos: boolean }[] {
  return all.flatMap((s) => ("common" in s && s.common?.streamed ? [s.common.streamed] : []));
}

describe("BBR protocol, FULL_DUPLEX_STREAMED", () => {
  let bbr: RunningBbr;
  beforeAll(async () => {
    bbr = await startBbr(undefined, { streaming: true });
  });
  afterAll(async () => {
    await bbr.stop();
  });

  it("gives the same answer for a body split at every byte offset, multi-byte UTF-8 included", async () => {
    const body = `{"messages":[{"role":"user","content":"Grüße, 世界 🌍"}],"model":"modèle-🚀"}`;
    const bytes = new TextEncoder().encode(body);
    for (let cut = 1; cut < bytes.length; cut++) {
      const stream = bbr.client.open();
      stream.send(requestHeaders(JSON_POST)).send(requestBody(bytes.subarray(0, cut), false)).send(requestBody(bytes.subarray(cut), true));
      const got = (await stream.waitFor(2)).map(summarize);
      expect(headerSets(got[0])).toContainEqual(["X-Gateway-Model-Name", "modèle-🚀"]);
      expect(headerSets(got[0])).toContainEqual(["Content-Length", String(bytes.length)]);
      expect(streamedBodies(got)).toEqual([{ body, eos: true }]);
      stream.cancel();
    }
  });

  it("flushes headers and body when request trailers end the body, then answers the trailers", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"m1"}`, false)).send(requestTrailers({ "x-trailer": "t" }));
    const got = (await stream.waitFor(3)).map(summarize);
    expect(got[0]?.kind).toBe("requestHeaders");
    expect(headerSets(got[0])).toContainEqual(["X-Gateway-Model-Name", "m1"]);
    // Trailers follow, so the body's last piece must not claim end_of_stream.
    expect(got[1]).toEqual({ kind: "requestBody", common: { clearRouteCache: false, mutation: null, streamed: { body: `{"model":"m1"}`, eos: false } } });
    expect(got[2]).toEqual({ kind: "requestTrailers", mutation: null });
    stream.cancel();
  });

  it("answers a header-only GET at once without running plugins", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders({ ":method": "GET", ":path": "/v1/models" }, true));
    expect((await stream.waitFor(1)).map(summarize)).toEqual([{ kind: "requestHeaders", common: null }]);
    const { end } = await stream.finish();
    expect(end.code).toBe(0);
  });

  it.each([
    {
      name: "model in body: spoofed values are overwritten",
      body: `{"model":"real"}`,
      sets: [["X-Gateway-Model-Name", "real"], ["X-Gateway-Base-Model-Name", ""], ["Content-Length", "16"]],
      removes: ["X-Gateway-Base-Model-Name"],
    },
    {
      name: "no model in body: spoofed values are removed",
      body: `{"prompt":"hi"}`,
      sets: [["Content-Length", "15"]],
      removes: OWNED,
    },
    {
      name: "empty model: model header removed, base set empty after removal",
      body: `{"model":""}`,
      sets: [["X-Gateway-Base-Model-Name", ""], ["Content-Length", "12"]],
      removes: OWNED,
    },
  ])("owns the routing headers ($name)", async ({ body, sets, removes }) => {
    const stream = bbr.client.open();
    stream.send(requestHeaders({ ...JSON_POST, "x-gateway-model-name": "evil", "X-Gateway-Base-Model-Name": "evil-base" }));
    stream.send(requestBody(body, true));
    const [h] = (await stream.waitFor(2)).map(summarize);
    expect(headerSets(h)).toEqual(sets);
    expect(headerRemoves(h)).toEqual(removes);
    stream.cancel();
  });

  it("removes spoofed routing headers on header-only requests too", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders({ ":method": "GET", "x-gateway-model-name": "evil" }, true));
    expect((await stream.waitFor(1)).map(summarize)).toEqual([
      { kind: "requestHeaders", common: { clearRouteCache: true, mutation: { set: [], remove: ["X-Gateway-Model-Name"] } } },
    ]);
    stream.cancel();
  });

  it.each([
    { name: "invalid JSON", body: `{"model": "a",`, message: "failed to parse request body" },
    { name: "array root", body: `[1,2]`, message: "request body must be a JSON object" },
    { name: "null root", body: `null`, message: "request body must be a JSON object" },
    { name: "empty body", body: ``, message: "failed to parse request body" },
  ])("answers 400 with an OpenAI-shaped error for $name, then closes cleanly", async ({ body, message }) => {
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(body, true));
    const [answer] = (await stream.waitFor(1)).map(summarize);
    expect(answer).toMatchObject({ kind: "immediate", status: 400, details: "bbr_invalid_json", headers: { set: [["content-type", "application/json"]], remove: [] } });
    const parsed = JSON.parse((answer as { body: string }).body);
    expect(parsed.error.type).toBe("invalid_request_error");
    expect(parsed.error.code).toBe("invalid_json");
    expect(parsed.error.message).toContain(message);
    expect((await stream.end()).code).toBe(0);
  });

  it("passes non-JSON content types through untouched (no model header, owned headers still removed)", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders({ ":method": "POST", "content-type": "text/plain", "x-gateway-model-name": "evil" }));
    stream.send(requestBody("not json at all", true));
    const got = (await stream.waitFor(2)).map(summarize);
    expect(headerSets(got[0])).toEqual([["Content-Length", "15"]]);
    expect(headerRemoves(got[0])).toEqual(["X-Gateway-Model-Name"]);
    expect(streamedBodies(got)).toEqual([{ body: "not json at all", eos: true }]);
    stream.cancel();
  });

  it("does not guess a model inside a body in an unknown coding", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders({ ...JSON_POST, "content-encoding": "compress" })).send(requestBody("\x1f\x9d{}", true));
    const got = (await stream.waitFor(2)).map(summarize);
    expect(headerSets(got[0]).map(([k]) => k)).toEqual(["Content-Length"]);
    stream.cancel();
  });

  it.each([
    { name: "over the header size bound", model: "m".repeat(9000), reason: "header_value_too_long" },
    { name: "with a newline", model: "a\nx-injected: 1", reason: "invalid_header_value" },
  ])("answers 400 for a model that cannot be a header value ($name)", async ({ model, reason }) => {
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(JSON.stringify({ model }), true));
    const [answer] = (await stream.waitFor(1)).map(summarize);
    expect(answer).toMatchObject({ kind: "immediate", status: 400, details: `bbr_${reason}` });
    stream.cancel();
  });

  it("handles 200 concurrent streams, each routed by its own body", async () => {
    const streams = Array.from({ length: 200 }, (_, i) => {
      const s = bbr.client.open();
      s.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"model-${i}","prompt":"${"x".repeat(i * 50)}"}`, true));
      return s;
    });
    const answers = await Promise.all(streams.map((s) => s.waitFor(2)));
    for (const [i, a] of answers.entries()) {
      expect(headerSets(summarize(a[0]!))).toContainEqual(["X-Gateway-Model-Name", `model-${i}`]);
    }
    for (const s of streams) s.cancel();
  });

  it("streams an SSE response through chunk by chunk, without waiting for its end", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"m","stream":true}`, true));
    await stream.waitFor(2);
    stream.send(responseHeaders({ ":status": "200", "content-type": "text/event-stream" }));
    expect(summarize((await stream.waitFor(3))[2]!)).toEqual({ kind: "responseHeaders", common: null });
    const events = ['data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n', 'data: {"choices":[{"delta":{"content":"lo"}}]}\n\n', "data: [DONE]\n\n"];
    for (const [i, event] of events.entries()) {
      const last = i === events.length - 1;
      stream.send(responseBody(event, last));
      // Each event is answered before the next one is even sent.
      const got = await stream.waitFor(4 + i);
      expect(streamedBodies([summarize(got[3 + i]!)])).toEqual([{ body: event, eos: last }]);
    }
    const { end } = await stream.finish();
    expect(end.code).toBe(0);
  });

  it("answers response trailers after the streamed body", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders({ ":method": "GET" }, true));
    stream.send(responseHeaders({ ":status": "200" })).send(responseBody("abc", false)).send(responseTrailers({ "grpc-status": "0" }));
    const got = (await stream.waitFor(4)).map(summarize);
    expect(got.slice(1)).toEqual([
      { kind: "responseHeaders", common: null },
      { kind: "responseBody", common: { clearRouteCache: false, mutation: null, streamed: { body: "abc", eos: false } } },
      { kind: "responseTrailers", mutation: null },
    ]);
    stream.cancel();
  });

  it("follows protocol_config: request body mode NONE answers headers at once", async () => {
    const stream = bbr.client.open();
    stream.send(
      requestHeaders(JSON_POST, false, {
        protocolConfig: { requestBodyMode: BodySendMode.NONE, responseBodyMode: BodySendMode.NONE },
      }),
    );
    expect((await stream.waitFor(1)).map(summarize)).toEqual([{ kind: "requestHeaders", common: null }]);
    stream.cancel();
  });

  it("follows protocol_config: BUFFERED overrides the --streaming default", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST, false, { protocolConfig: { requestBodyMode: BodySendMode.BUFFERED } }));
    stream.send(requestBody(`{"model":"b"}`, true));
    const got = (await stream.waitFor(2)).map(summarize);
    expect(got[0]).toEqual({ kind: "requestHeaders", common: null });
    expect(got[1]).toEqual({
      kind: "requestBody",
      common: { clearRouteCache: true, mutation: { set: [["X-Gateway-Model-Name", "b"], ["X-Gateway-Base-Model-Name", ""]], remove: [] } },
    });
    stream.cancel();
  });

  it("BUFFERED with request trailers: decides on the one body message, then answers the trailers", async () => {
    // Envoy sends a BUFFERED body in one message, end_of_stream false when trailers follow; the
    // routing decision must travel with the body answer (before the lifecycle was shared, BBR
    // acknowledged the body and never routed such a request).
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST, false, { protocolConfig: { requestBodyMode: BodySendMode.BUFFERED } }));
    stream.send(requestBody(`{"model":"b"}`, false)).send(requestTrailers({ "x-trailer": "t" }));
    const got = (await stream.waitFor(3)).map(summarize);
    expect(got[0]).toEqual({ kind: "requestHeaders", common: null });
    expect(got[1]).toEqual({
      kind: "requestBody",
      common: { clearRouteCache: true, mutation: { set: [["X-Gateway-Model-Name", "b"], ["X-Gateway-Base-Model-Name", ""]], remove: [] } },
    });
    expect(got[2]?.kind).toBe("requestTrailers");
    stream.cancel();
  });

  it("never answers in observability mode", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST, false, { observabilityMode: true })).send(requestBody(`{"model":"m"}`, true, { observabilityMode: true }));
    expect(await stream.settle(150)).toEqual([]);
    const { responses, end } = await stream.finish();
    expect(responses).toEqual([]);
    expect(end.code).toBe(0);
  });

  it.each([
    { name: "a message with no known request", send: [{}], code: 3 },
    { name: "request headers twice", send: [requestHeaders(JSON_POST), requestHeaders(JSON_POST)], code: 3 },
    { name: "a body after the request ended", send: [requestHeaders({ ":method": "GET" }, true), requestBody("{}", true)], code: 3 },
    { name: "response headers while the request body is open", send: [requestHeaders(JSON_POST), responseHeaders({ ":status": "200" })], code: 9 },
  ])("ends the stream with a gRPC error on protocol misuse: $name", async ({ send, code }) => {
    const stream = bbr.client.open();
    for (const m of send) stream.send(m);
    expect((await stream.end()).code).toBe(code);
  });
});

describe("BBR limits and plugin errors", () => {
  it("answers 413 once the body passes --max-body-bytes and stops buffering", async () => {
    const bbr = await startBbr(undefined, { maxBodyBytes: 1000 });
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"m","p":"${"x".repeat(600)}`, false));
    stream.send(requestBody("y".repeat(600), false));
    const [answer] = (await stream.waitFor(1)).map(summarize);
    expect(answer).toMatchObject({ kind: "immediate", status: 413, details: "bbr_request_body_too_large" });
    expect(JSON.parse((answer as { body: string }).body).error.message).toBe("request body exceeds the limit of 1000 bytes");
    expect((await stream.end()).code).toBe(0);
    await bbr.stop();
  });

  it("accepts a body exactly at the limit", async () => {
    const body = `{"model":"m","p":"${"x".repeat(1000 - 20)}"}`;
    expect(body.length).toBe(1000);
    const bbr = await startBbr(undefined, { maxBodyBytes: 1000 });
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(body, true));
    expect(headerSets(summarize((await stream.waitFor(2))[0]!))).toContainEqual(["X-Gateway-Model-Name", "m"]);
    stream.cancel();
    await bbr.stop();
  });

  it.each([
    { name: "thrown", async: false },
    { name: "rejected promise", async: true },
  ])("turns a plugin's RequestError ($name) into its HTTP status", async ({ async }) => {
    const bbr = await startBbr(`plugins:\n  - type: test-fail\n    parameters: {phase: request, status: Forbidden, async: ${async}}\n`);
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"m"}`, true));
    const [answer] = (await stream.waitFor(1)).map(summarize);
    expect(answer).toMatchObject({ kind: "immediate", status: 403, details: "bbr_test_denied" });
    expect(JSON.parse((answer as { body: string }).body)).toEqual({
      error: { message: "denied by test plugin", type: "permission_error", code: "test_denied" },
    });
    await bbr.stop();
  });

  it("runs async plugins in order and keeps streams independent", async () => {
    const bbr = await startBbr(`
plugins:
  - type: test-delay
    parameters: {ms: 20}
  - type: body-field-to-header
    parameters: {fieldName: model, headerName: X-Gateway-Model-Name}
`);
    const streams = ["a", "b", "c"].map((m) => {
      const s = bbr.client.open();
      s.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"${m}"}`, true));
      return s;
    });
    const got = await Promise.all(streams.map((s) => s.waitFor(2)));
    expect(got.map((g) => headerSets(summarize(g[0]!))[0])).toEqual([
      ["X-Gateway-Model-Name", "a"],
      ["X-Gateway-Model-Name", "b"],
      ["X-Gateway-Model-Name", "c"],
    ]);
    await bbr.stop();
  });

  it("keeps serving after a cancelled stream, and the active-streams gauge returns to zero", async () => {
    const bbr = await startBbr();
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":`, false));
    await new Promise((r) => setTimeout(r, 50));
    expect(bbr.server.inFlightStreams).toBe(1);
    stream.cancel();
    await new Promise((r) => setTimeout(r, 100));
    expect(bbr.server.inFlightStreams).toBe(0);
    const next = bbr.client.open();
    next.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"ok"}`, true));
    expect(headerSets(summarize((await next.waitFor(2))[0]!))).toContainEqual(["X-Gateway-Model-Name", "ok"]);
    await bbr.stop();
  });
});
