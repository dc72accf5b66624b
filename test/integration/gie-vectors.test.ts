import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBbr, startBbr } from "../support/bbr-test-server.js";
import {
  requestBody,
  requestHeaders,
  responseBody,
  responseHeaders,
  mutationOf,
  sortedSets,
  summarize,
  type Summary,
} from "../support/messages.js";

// The conformance vectors of bbr-reference section 4 (GIE's handler, server and integration
// tests), run against the real server over a real socket. "streaming" means
// FULL_DUPLEX_STREAMED; otherwise BUFFERED. Where GIE's test calls a handler directly, we send
// what Envoy would send (headers first) and compare the answer to the body.

const JSON_HEADERS = { ":method": "POST", ":path": "/v1/completions", "content-type": "application/json" };
const MAPPINGS_CONFIG = `
plugins:
  - type: body-field-to-header
    name: model-to-header
    parameters: {fieldName: model, headerName: X-Gateway-Model-Name}
  - type: base-model-to-header
    parameters:
      mappings:
        - baseModel: qwen
          adapters: [sql-lora-sheddable, foo, 1]
`;

function headersAnswer(set: readonly (readonly [string, string])[]): Summary {
  return { kind: "requestHeaders", common: { clearRouteCache: true, mutation: { set: set.map(([k, v]) => [k, v]), remove: [] } } };
}

function streamedBody(kind: "requestBody" | "responseBody", body: string, eos: boolean): Summary {
  return { kind, common: { clearRouteCache: false, mutation: null, streamed: { body, eos } } };
}

/** exchange sends headers + one body and returns the answers after the headers answer (if any). */
async function exchange(bbr: RunningBbr, body: string, expected: number, headers: Record<string, string> = JSON_HEADERS) {
  const stream = bbr.client.open();
  stream.send(requestHeaders(headers)).send(requestBody(body, true));
  const responses = (await stream.waitFor(expected)).map(summarize);
  expect(await stream.settle(30)).toHaveLength(expected);
  stream.cancel();
  return responses;
}

describe("TestHandleRequestHeaders (4.1)", () => {
  let buffered: RunningBbr;
  let streaming: RunningBbr;
  const noChain = `
plugins:
  - type: test-echo-header
    parameters: {from: x-test, to: X-Echo}
request: []
`;
  beforeAll(async () => {
    buffered = await startBbr(noChain, { streaming: false });
    streaming = await startBbr(noChain, { streaming: true });
  });
  afterAll(async () => {
    await buffered.stop();
    await streaming.stop();
  });

  it.each([
    { id: "H1", streaming: false, eos: false, want: [{ kind: "requestHeaders", common: null }] },
    { id: "H2", streaming: true, eos: false, want: [] },
    { id: "H3", streaming: true, eos: true, want: [{ kind: "requestHeaders", common: null }] },
  ])("$id streaming=$streaming eos=$eos", async ({ streaming: s, eos, want }) => {
    const stream = (s ? streaming : buffered).client.open();
    stream.send(requestHeaders({ "content-type": "application/json", "x-request-id": "abc-123" }, eos));
    const got = (await stream.settle(150)).map(summarize);
    expect(got).toEqual(want);
    stream.cancel();
  });

  it.each([
    { id: "H6-H8", headers: {}, wantEcho: "<absent>" },
    { id: "H4", headers: { "x-test": { raw: "raw", value: "plain" } }, wantEcho: "raw" },
    { id: "H5", headers: { "x-test": { value: "plain" } }, wantEcho: "plain" },
  ])("$id: raw_value wins over value; value is the fallback", async ({ headers, wantEcho }) => {
    const bbr = await startBbr(
      `
plugins:
  - type: test-echo-header
    parameters: {from: x-test, to: X-Echo}
`,
      { streaming: false },
    );
    const stream = bbr.client.open();
    stream.send(requestHeaders(headers)).send(requestBody("{}", true));
    const [h, b] = (await stream.waitFor(2)).map(summarize);
    expect(h).toEqual({ kind: "requestHeaders", common: null });
    expect(b).toEqual({ kind: "requestBody", common: { clearRouteCache: true, mutation: { set: [["X-Echo", wantEcho]], remove: [] } } });
    stream.cancel();
    await bbr.stop();
  });
});

describe("TestHandleRequestBody with P1+P2 (4.2)", () => {
  let buffered: RunningBbr;
  let streaming: RunningBbr;
  beforeAll(async () => {
    buffered = await startBbr(undefined, { streaming: false });
    streaming = await startBbr(undefined, { streaming: true });
  });
  afterAll(async () => {
    await buffered.stop();
    await streaming.stop();
  });

  const longBody = `{"model":"foo","prompt":"${"a".repeat(70_000)}"}`;
  it.each([
    { id: "B1", s: false, body: `{"prompt":"Tell me a joke"}`, set: [] },
    { id: "B3", s: false, body: `{"model":"","prompt":"Tell me a joke"}`, set: [["X-Gateway-Base-Model-Name", ""]] },
    {
      id: "B4",
      s: false,
      body: `{"model":1,"prompt":"Tell me a joke"}`,
      set: [
        ["X-Gateway-Model-Name", "1"],
        ["X-Gateway-Base-Model-Name", ""],
      ],
    },
    {
      id: "B5",
      s: false,
      body: `{"model":"foo","prompt":"Tell me a joke"}`,
      set: [
        ["X-Gateway-Model-Name", "foo"],
        ["X-Gateway-Base-Model-Name", ""],
      ],
    },
  ] as const)("$id buffered", async ({ body, set }) => {
    const [headers, answer] = await exchange(buffered, body, 2);
    expect(headers).toEqual({ kind: "requestHeaders", common: null });
    expect(answer).toEqual({ kind: "requestBody", common: { clearRouteCache: true, mutation: { set, remove: [] } } });
  });

  it.each([
    { id: "B2", body: `{"prompt":"Tell me a joke"}`, set: [["Content-Length", "27"]] },
    {
      id: "B6",
      body: `{"model":"foo","prompt":"Tell me a joke"}`,
      set: [
        ["X-Gateway-Model-Name", "foo"],
        ["X-Gateway-Base-Model-Name", ""],
        ["Content-Length", "41"],
      ],
    },
  ] as const)("$id streaming", async ({ body, set }) => {
    const got = await exchange(streaming, body, 2);
    expect(got).toEqual([headersAnswer(set), streamedBody("requestBody", body, true)]);
  });

  it("B7 streaming: a 70,027-byte body comes back as 62,000 + 8,027 bytes", async () => {
    expect(longBody.length).toBe(70_027);
    const got = await exchange(streaming, longBody, 3);
    expect(got).toEqual([
      headersAnswer([
        ["X-Gateway-Model-Name", "foo"],
        ["X-Gateway-Base-Model-Name", ""],
        ["Content-Length", "70027"],
      ]),
      streamedBody("requestBody", longBody.slice(0, 62_000), false),
      streamedBody("requestBody", longBody.slice(62_000), true),
    ]);
  });

  it("counts GIE's metrics: success, field not found, field empty", async () => {
    const bbr = await startBbr(undefined, { streaming: false });
    for (const body of [`{"prompt":"x"}`, `{"model":"","prompt":"x"}`, `{"model":1}`, `{"model":"foo"}`]) {
      await exchange(bbr, body, 2);
    }
    const res = await fetch(`http://127.0.0.1:${bbr.server.ports.metrics}/metrics`);
    const text = await res.text();
    expect(text).toContain("bbr_success_total 4");
    expect(text).toContain('bbr_body_field_not_found_total{field="model"} 1');
    expect(text).toContain('bbr_body_field_empty_total{field="model"} 1');
    expect(text).toMatch(/bbr_plugin_duration_seconds_count\{extension_point="request",plugin_type="body-field-to-header",plugin_name="model-to-header"\} 4/);
    expect(text).toMatch(/bbr_plugin_duration_seconds_count\{extension_point="request",plugin_type="base-model-to-header",plugin_name="base-model-to-header"\} 4/);
    await bbr.stop();
  });
});

describe("TestHandleRequestBody_MultiPluginHeaderMutations (4.3)", () => {
  const body = `{"model":"test-model","prompt":"test"}`;
  it.each([
    { id: "M1", initial: {}, ops: [{ set: { name: "X-Custom", value: "value1" } }, { remove: "X-Custom" }], set: [], remove: ["X-Custom"] },
    { id: "M2", initial: { "x-existing": "old-value" }, ops: [{ set: { name: "X-New", value: "hello" } }, { remove: "X-Existing" }], set: [["X-New", "hello"]], remove: ["X-Existing"] },
    { id: "M3", initial: {}, ops: [{ remove: "X-Ghost" }], set: [], remove: [] },
    { id: "M4", initial: { "x-reuse": "old-value" }, ops: [{ remove: "X-Reuse" }, { set: { name: "X-Reuse", value: "new-value" } }], set: [["X-Reuse", "new-value"]], remove: [] },
    { id: "M5", initial: {}, ops: [{ set: { name: "X-Shared", value: "first" } }, { set: { name: "X-Shared", value: "second" } }], set: [["X-Shared", "second"]], remove: [] },
    { id: "M6", initial: {}, ops: [{ set: { name: "X-First", value: "aaa" } }, { set: { name: "X-Second", value: "bbb" } }], set: [["X-First", "aaa"], ["X-Second", "bbb"]], remove: [] },
    { id: "M7", initial: { "x-dup": "value" }, ops: [{ remove: "X-Dup" }, { remove: "X-Dup" }], set: [], remove: ["X-Dup"] },
    { id: "M8", initial: { "x-keep": "original" }, ops: [{ set: { name: "X-Keep", value: "original" } }], set: [], remove: [] },
  ])("$id", async ({ initial, ops, set, remove }) => {
    const bbr = await startBbr(`plugins:\n  - type: test-header-ops\n    parameters: ${JSON.stringify({ ops })}\n`, { streaming: false });
    const [, answer] = await exchange(bbr, body, 2, { ...JSON_HEADERS, ...initial });
    expect(answer).toEqual({ kind: "requestBody", common: { clearRouteCache: true, mutation: { set, remove } } });
    await bbr.stop();
  });
});

describe("TestHandleRequestBody_BodyMutation (4.4) and I8/I9", () => {
  const config = (value: string) => `
plugins:
  - type: test-set-body-field
    parameters: {field: injected, value: ${value}}
  - type: base-model-to-header
`;
  it.each([
    { id: "BM1/BM2", value: "value", input: `{"prompt":"test"}`, want: `{"prompt":"test","injected":"value"}` },
    { id: "I8/I9", value: "test-value", input: `{"prompt":"hello"}`, want: `{"prompt":"hello","injected":"test-value"}` },
  ])("$id buffered: Content-Length and the new body", async ({ value, input, want }) => {
    const bbr = await startBbr(config(value), { streaming: false });
    const [, answer] = await exchange(bbr, input, 2);
    // GIE re-serialises with sorted keys; we keep the client's key order. Same length.
    expect(answer).toEqual({
      kind: "requestBody",
      common: { clearRouteCache: true, mutation: { set: [["Content-Length", String(want.length)]], remove: [] }, body: want },
    });
    await bbr.stop();
  });

  it.each([
    { id: "BM2", value: "value", input: `{"prompt":"test"}`, want: `{"prompt":"test","injected":"value"}` },
    { id: "I9", value: "test-value", input: `{"prompt":"hello"}`, want: `{"prompt":"hello","injected":"test-value"}` },
  ])("$id streaming", async ({ value, input, want }) => {
    const bbr = await startBbr(config(value), { streaming: true });
    expect(await exchange(bbr, input, 2)).toEqual([headersAnswer([["Content-Length", String(want.length)]]), streamedBody("requestBody", want, true)]);
    await bbr.stop();
  });
});

describe("response_test (4.5)", () => {
  const hello = `{"choices":[{"text":"Hello!"}]}`;
  async function respond(config: string | undefined, streaming: boolean, body: string, expected: number) {
    const bbr = await startBbr(config, { streaming });
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_HEADERS)).send(requestBody(`{"model":"m"}`, true));
    const before = streaming ? 2 : 2;
    await stream.waitFor(before);
    stream.send(responseHeaders({ ":status": "200", "content-type": "application/json" })).send(responseBody(body, true));
    const all = await stream.waitFor(before + expected);
    expect(await stream.settle(30)).toHaveLength(before + expected);
    stream.cancel();
    await bbr.stop();
    return all.slice(before).map(summarize);
  }
  const plugin = (params: string) => `
plugins:
  - type: body-field-to-header
    parameters: {fieldName: model, headerName: X-Gateway-Model-Name}
  - type: test-response-body
    parameters: ${params}
`;
  const twoPlugins = `
plugins:
  - type: test-response-body
    name: p1
    parameters: {field: p1, value: done}
  - type: test-response-body
    name: p2
    parameters: {field: p2, value: done}
`;

  it("R1 no plugins, buffered: empty answers", async () => {
    expect(await respond(undefined, false, hello, 2)).toEqual([
      { kind: "responseHeaders", common: null },
      { kind: "responseBody", common: null },
    ]);
  });

  it("R2 no plugins, streaming: headers at once, body passed through", async () => {
    expect(await respond(undefined, true, hello, 2)).toEqual([{ kind: "responseHeaders", common: null }, streamedBody("responseBody", hello, true)]);
  });

  it("R3 body field set, buffered", async () => {
    expect(await respond(plugin("{field: mutated, value: true}"), false, hello, 2)).toEqual([
      { kind: "responseHeaders", common: null },
      {
        kind: "responseBody",
        common: {
          clearRouteCache: true,
          mutation: { set: [["Content-Length", "46"]], remove: [] },
          body: `{"choices":[{"text":"Hello!"}],"mutated":true}`,
        },
      },
    ]);
  });

  it("R4 two plugins in order, buffered", async () => {
    const got = await respond(twoPlugins, false, `{"original":true}`, 2);
    expect(got[1]).toEqual({
      kind: "responseBody",
      common: { clearRouteCache: true, mutation: { set: [["Content-Length", "41"]], remove: [] }, body: `{"original":true,"p1":"done","p2":"done"}` },
    });
  });

  // GIE ends the stream with gRPC Unknown, which Envoy turns into a bare 500 (or lets the
  // request through with failure_mode_allow). We answer 500 ourselves, with an OpenAI-shaped
  // body; a plugin may opt into failing open with failurePolicy: Ignore.
  it("R5 a plain plugin error is answered 500 without leaking plugin internals", async () => {
    const bbr = await startBbr(`plugins:\n  - type: test-fail\n    parameters: {phase: response}\n`, { streaming: false });
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_HEADERS)).send(requestBody("{}", true));
    await stream.waitFor(2);
    stream.send(responseHeaders({ ":status": "200" })).send(responseBody(`{"choices":[{"text":"some response"}]}`, true));
    const got = (await stream.waitFor(4)).map(summarize);
    expect(got[3]).toMatchObject({ kind: "immediate", status: 500, details: "bbr_plugin_failed" });
    expect(JSON.parse((got[3] as { body: string }).body)).toEqual({
      error: { message: "request processing failed", type: "server_error", code: "plugin_failed" },
    });
    expect((await stream.end()).code).toBe(0);
    await bbr.stop();
  });

  it("R6 body field set, streaming", async () => {
    expect(await respond(plugin("{field: mutated, value: true}"), true, hello, 2)).toEqual([
      { kind: "responseHeaders", common: { clearRouteCache: true, mutation: { set: [["Content-Length", "46"]], remove: [] } } },
      streamedBody("responseBody", `{"choices":[{"text":"Hello!"}],"mutated":true}`, true),
    ]);
  });

  it("R7 header set, buffered: no body mutation, no Content-Length", async () => {
    const got = await respond(plugin("{header: {name: X-Custom-Response, value: added}}"), false, hello, 2);
    expect(got[1]).toEqual({ kind: "responseBody", common: { clearRouteCache: true, mutation: { set: [["X-Custom-Response", "added"]], remove: [] } } });
  });

  it("R8 header set, streaming: original bytes", async () => {
    expect(await respond(plugin("{header: {name: X-Custom-Response, value: added}}"), true, hello, 2)).toEqual([
      { kind: "responseHeaders", common: { clearRouteCache: true, mutation: { set: [["X-Custom-Response", "added"]], remove: [] } } },
      streamedBody("responseBody", hello, true),
    ]);
  });
});

describe("server_test (4.6)", () => {
  it("request {\"model\":\"foo\"}: buffered and streaming", async () => {
    const b = await startBbr(undefined, { streaming: false });
    const [, answer] = await exchange(b, `{"model":"foo"}`, 2);
    expect(answer).toEqual({
      kind: "requestBody",
      common: { clearRouteCache: true, mutation: { set: [["X-Gateway-Model-Name", "foo"], ["X-Gateway-Base-Model-Name", ""]], remove: [] } },
    });
    await b.stop();
    const s = await startBbr(undefined, { streaming: true });
    expect(await exchange(s, `{"model":"foo"}`, 2)).toEqual([
      headersAnswer([
        ["X-Gateway-Model-Name", "foo"],
        ["X-Gateway-Base-Model-Name", ""],
        ["Content-Length", "15"],
      ]),
      streamedBody("requestBody", `{"model":"foo"}`, true),
    ]);
    await s.stop();
  });

  // GIE buffers the whole response and answers once; we stream each chunk through as it
  // arrives (SSE keeps its time to first token). The bytes and the single end_of_stream match.
  it.each([
    { name: "one chunk", chunks: [`{"choices":[{"text":"Hello!"}]}`] },
    { name: "two chunks", chunks: [`{"choices":[{"te`, `xt":"Hello!"}]}`] },
    { name: "three chunks", chunks: [`{"choices":`, `[{"text":"Hello!"}]`, `}`] },
  ])("response pass-through, $name", async ({ chunks }) => {
    const bbr = await startBbr(`plugins:\n  - type: test-echo-header\n    parameters: {from: a, to: B}\nrequest: []\n`, { streaming: true });
    const stream = bbr.client.open();
    stream.send(requestHeaders({ ":method": "GET" }, true));
    await stream.waitFor(1);
    stream.send(responseHeaders({ "x-test": "body", ":method": "POST", "content-type": "text/event-stream" }));
    for (const [i, c] of chunks.entries()) stream.send(responseBody(c, i === chunks.length - 1));
    const got = (await stream.waitFor(2 + chunks.length)).slice(1).map(summarize);
    expect(got[0]).toEqual({ kind: "responseHeaders", common: null });
    expect(got.slice(1)).toEqual(chunks.map((c, i) => streamedBody("responseBody", c, i === chunks.length - 1)));
    stream.cancel();
    await bbr.stop();
  });
});

describe("test/integration/bbr hermetic vectors (4.7)", () => {
  let unary: RunningBbr;
  let streaming: RunningBbr;
  beforeAll(async () => {
    unary = await startBbr(MAPPINGS_CONFIG, { streaming: false });
    streaming = await startBbr(MAPPINGS_CONFIG, { streaming: true });
  });
  afterAll(async () => {
    await unary.stop();
    await streaming.stop();
  });

  // "Unary" requests carry only a body (request_header_mode SKIP) plus metadata_context.
  async function unaryRequest(body: string) {
    const stream = unary.client.open();
    stream.send(requestBody(body, true, { metadataContext: { filterMetadata: {} } }));
    const [answer] = (await stream.waitFor(1)).map(summarize);
    return { stream, answer };
  }

  it.each([
    {
      id: "I1",
      body: `{"max_tokens":100,"model":"qwen","prompt":"test","temperature":0}`,
      set: [
        ["X-Gateway-Model-Name", "qwen"],
        ["X-Gateway-Base-Model-Name", "qwen"],
      ],
    },
    { id: "I2", body: `{"max_tokens":100,"prompt":"test1","temperature":0}`, set: [] },
  ])("$id unary", async ({ body, set }) => {
    const { stream, answer } = await unaryRequest(body);
    expect(answer).toEqual({ kind: "requestBody", common: { clearRouteCache: true, mutation: { set, remove: [] } } });
    stream.cancel();
  });

  it("I3 unary with a response and no response plugins", async () => {
    const { stream } = await unaryRequest(`{"max_tokens":100,"model":"qwen","prompt":"test","temperature":0}`);
    stream.send(responseHeaders({ "content-type": "application/json" })).send(responseBody(`{"choices":[{"text":"Hi there!"}]}`, true));
    const got = (await stream.waitFor(3)).slice(1).map(summarize);
    expect(got).toEqual([
      { kind: "responseHeaders", common: null },
      { kind: "responseBody", common: null },
    ]);
    stream.cancel();
  });

  it("I4 unary with a guardrail-style response plugin", async () => {
    const bbr = await startBbr(
      `
plugins:
  - type: body-field-to-header
    parameters: {fieldName: model, headerName: X-Gateway-Model-Name}
  - type: base-model-to-header
  - type: test-response-body
    parameters: {field: guardrail, value: applied}
`,
      { streaming: false },
    );
    const stream = bbr.client.open();
    stream.send(requestBody(`{"max_tokens":100,"model":"test-model","prompt":"hello","temperature":0}`, true));
    stream.send(responseHeaders({ "content-type": "application/json" })).send(responseBody(`{"choices":[{"text":"Hello!"}]}`, true));
    const got = (await stream.waitFor(3)).map(summarize);
    expect(sortedSets(mutationOf(got[0]))).toEqual([
      ["X-Gateway-Base-Model-Name", ""],
      ["X-Gateway-Model-Name", "test-model"],
    ]);
    expect(got.slice(1)).toEqual([
      { kind: "responseHeaders", common: null },
      {
        kind: "responseBody",
        common: {
          clearRouteCache: true,
          mutation: { set: [["Content-Length", "53"]], remove: [] },
          body: `{"choices":[{"text":"Hello!"}],"guardrail":"applied"}`,
        },
      },
    ]);
    stream.cancel();
    await bbr.stop();
  });

  it.each([
    {
      id: "I5",
      headers: { hi: { value: "mom" }, "x-request-id": { value: "test-request-id" }, "x-gateway-inference-objective": { value: "foo" }, "x-gateway-model-name-rewrite": { value: "bar" } },
      chunks: [`{"max_tokens":100,"model":"foo","prompt":"test","temperature":0}`],
      set: [
        ["Content-Length", "64"],
        ["X-Gateway-Base-Model-Name", "qwen"],
        ["X-Gateway-Model-Name", "foo"],
      ],
    },
    {
      id: "I6",
      headers: { hi: { value: "mom" } },
      chunks: [`{"max_tokens":100,"model":"sql-lo`, `ra-sheddable","prompt":"test","temperature":0}`],
      set: [
        ["Content-Length", "79"],
        ["X-Gateway-Base-Model-Name", "qwen"],
        ["X-Gateway-Model-Name", "sql-lora-sheddable"],
      ],
    },
    {
      id: "I7",
      headers: { hi: { value: "mom" }, "x-request-id": { value: "test-request-id" } },
      chunks: [`{"max_tokens":100,"prompt":"test","temperature":0}`],
      set: [["Content-Length", "50"]],
    },
  ])("$id streaming", async ({ headers, chunks, set }) => {
    const stream = streaming.client.open();
    stream.send(requestHeaders(headers));
    for (const [i, c] of chunks.entries()) stream.send(requestBody(c, i === chunks.length - 1));
    const [h, b] = (await stream.waitFor(2)).map(summarize);
    expect(h?.kind).toBe("requestHeaders");
    expect(sortedSets(mutationOf(h))).toEqual(set);
    expect(b).toEqual(streamedBody("requestBody", chunks.join(""), true));
    expect(await stream.settle(30)).toHaveLength(2);
    stream.cancel();
  });
});
