import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../common/logger.js";
import { openAiErrorAnswer, RequestError } from "../../common/request-error.js";
import { err, ok } from "../../common/result.js";
import { ProcessingMode_BodySendMode as BodySendMode } from "../../gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode_pb.js";
import {
  ProcessingRequestSchema,
  type ProcessingResponse,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import {
  requestBody,
  requestHeaders,
  requestTrailers,
  responseBody,
  responseHeaders,
  responseTrailers,
  type Summary,
  summarize,
} from "../../../test/support/messages.js";
import type { ResponseSink, StreamError } from "../transport/stream.js";
import type { Forward, HeaderChanges, StreamDecisions } from "./decisions.js";
import { type LifecycleSettings, StreamLifecycle } from "./stream-lifecycle.js";

// The lifecycle on its own: protocol steps with scripted decisions, so each rule of the
// protocol (modes, limits, trailers, holding, cancellation) is seen without a product around it.

type Init = MessageInitShape<typeof ProcessingRequestSchema>;

interface Script {
  /** forward: what decideRequest answers; "reject" answers 403; async delays it a tick. */
  readonly forward?: { sets?: [string, string][]; body?: string; async?: boolean } | "reject";
  readonly holdResponse?: boolean;
  readonly responseBody?: string;
}

/** ScriptedDecisions answers as the script says and records what the lifecycle told it. */
class ScriptedDecisions implements StreamDecisions {
  readonly calls: string[] = [];
  private readonly received: Uint8Array[] = [];
  constructor(private readonly script: Script) {}
  logger() {
    return silentLogger();
  }
  startRequest(start: { headersSkipped: boolean; bodyMode: string }) {
    this.calls.push(`start ${start.bodyMode}${start.headersSkipped ? " skipped" : ""}`);
  }
  decideWithoutBody() {
    this.calls.push("without-body");
    return ok({ headers: { sets: [{ key: "x-picked", value: "headers-only" }], removes: [] } });
  }
  appendRequestBody(chunk: Uint8Array) {
    this.received.push(chunk);
  }
  decideRequest() {
    this.calls.push("decide");
    const f = this.script.forward;
    if (f === "reject") return err(new RequestError("Forbidden", "no", { reason: "refused" }));
    const body = f?.body === undefined ? Buffer.concat(this.received) : new TextEncoder().encode(f.body);
    const forward: Forward = {
      headers: { sets: (f?.sets ?? [["x-picked", "yes"]]).map(([key, value]) => ({ key, value })), removes: [] },
      body,
      bodyMutated: f?.body !== undefined,
      abandon: () => this.calls.push("abandon"),
    };
    if (f?.async) return new Promise<ReturnType<typeof ok<Forward>>>((r) => setTimeout(() => r(ok(forward)), 5));
    return ok(forward);
  }
  requestForwarded() {
    this.calls.push("forwarded");
  }
  startResponse() {
    this.calls.push("response");
  }
  holdsResponseBody() {
    return this.script.holdResponse ?? false;
  }
  responseHeaders() {}
  responseHeaderChanges(): HeaderChanges {
    return { sets: [{ key: "x-resp", value: "1" }], removes: [] };
  }
  responseChunk(chunk: Uint8Array) {
    this.calls.push(`chunk ${chunk.length}`);
  }
  responseBody(chunks: readonly Uint8Array[]) {
    this.calls.push(`held ${chunks.length}`);
    const changed = this.script.responseBody;
    return {
      headers: this.responseHeaderChanges(),
      body: changed === undefined ? Buffer.concat(chunks) : new TextEncoder().encode(changed),
      bodyMutated: changed !== undefined,
    };
  }
  responseEnded(aborted: boolean) {
    this.calls.push(aborted ? "ended aborted" : "ended");
  }
  outcome(outcome: string, code: string) {
    this.calls.push(`outcome ${outcome} ${code}`);
  }
  streamEnded(cancelled: boolean) {
    this.calls.push(cancelled ? "released cancelled" : "released");
  }
}

const SETTINGS: LifecycleSettings = {
  maxRequestBodyBytes: 16,
  maxResponseHoldBytes: 8,
  streamingByDefault: true,
  detailsPrefix: "test",
  renderError: openAiErrorAnswer,
};

const DUPLEX = { protocolConfig: { requestBodyMode: BodySendMode.FULL_DUPLEX_STREAMED, responseBodyMode: BodySendMode.FULL_DUPLEX_STREAMED } };
const BUFFERED = { protocolConfig: { requestBodyMode: BodySendMode.BUFFERED, responseBodyMode: BodySendMode.BUFFERED } };
const STREAMED = { protocolConfig: { requestBodyMode: BodySendMode.STREAMED } };

async function run(script: Script, messages: Init[], settings = SETTINGS) {
  const sent: ProcessingResponse[] = [];
  let failed: StreamError | undefined;
  let closed = false;
  const sink: ResponseSink = { send: (r) => sent.push(r), close: () => (closed = true), fail: (e) => (failed = e) };
  const decisions = new ScriptedDecisions(script);
  const lifecycle = new StreamLifecycle(settings, decisions, sink);
  let error: unknown;
  for (const m of messages) {
    try {
      await lifecycle.onMessage(create(ProcessingRequestSchema, m));
    } catch (e) {
      error = e;
      break;
    }
  }
  return { answers: sent.map(summarize), calls: decisions.calls, error, failed, closed, lifecycle };
}

const headers = (extra = {}) => requestHeaders({ ":method": "POST" }, false, extra) as Init;
const body = (text: string, eos: boolean) => requestBody(text, eos) as Init;
const streamed = (b: string, eos: boolean): Summary => ({ kind: "requestBody", common: { clearRouteCache: false, mutation: null, streamed: { body: b, eos } } });

describe("StreamLifecycle, request path", () => {
  it.each([
    {
      name: "duplex: headers deferred until the decision, then the body with Content-Length",
      script: {},
      messages: [headers(DUPLEX), body("ab", false), body("cd", true)],
      answers: [
        { kind: "requestHeaders", common: { clearRouteCache: true, mutation: { set: [["x-picked", "yes"], ["Content-Length", "4"]], remove: [] } } },
        streamed("abcd", true),
      ],
      calls: ["start duplex", "decide", "outcome success continue", "forwarded"],
    },
    {
      name: "buffered: headers acknowledged, the decision with the one body message, no Content-Length if unchanged",
      script: {},
      messages: [headers(BUFFERED), body("abcd", true)],
      answers: [
        { kind: "requestHeaders", common: null },
        { kind: "requestBody", common: { clearRouteCache: true, mutation: { set: [["x-picked", "yes"]], remove: [] } } },
      ],
      calls: ["start buffered", "decide", "outcome success continue", "forwarded"],
    },
    {
      name: "buffered with a changed body: the new body and its Content-Length",
      script: { forward: { body: "xyz" } },
      messages: [headers(BUFFERED), body("abcd", true)],
      answers: [
        { kind: "requestHeaders", common: null },
        { kind: "requestBody", common: { clearRouteCache: true, mutation: { set: [["x-picked", "yes"], ["Content-Length", "3"]], remove: [] }, body: "xyz" } },
      ],
      calls: ["start buffered", "decide", "outcome success continue", "forwarded"],
    },
    {
      name: "headers with end_of_stream: decided without a body",
      script: {},
      messages: [requestHeaders({ ":method": "GET" }, true, DUPLEX) as Init],
      answers: [{ kind: "requestHeaders", common: { clearRouteCache: true, mutation: { set: [["x-picked", "headers-only"]], remove: [] } } }],
      calls: ["start duplex", "without-body", "outcome success continue"],
    },
    {
      name: "a streamed mode: headers answered first, body chunks acknowledged",
      script: {},
      messages: [headers(STREAMED), body("ab", false), body("cd", true)],
      answers: [
        { kind: "requestHeaders", common: { clearRouteCache: true, mutation: { set: [["x-picked", "headers-only"]], remove: [] } } },
        { kind: "requestBody", common: null },
        { kind: "requestBody", common: null },
      ],
      calls: ["start passthrough", "without-body", "outcome success continue"],
    },
    {
      name: "trailers end a duplex body: flush headers and body, then answer them",
      script: {},
      messages: [headers(DUPLEX), body("ab", false), requestTrailers() as Init],
      answers: [
        { kind: "requestHeaders", common: { clearRouteCache: true, mutation: { set: [["x-picked", "yes"], ["Content-Length", "2"]], remove: [] } } },
        streamed("ab", false),
        { kind: "requestTrailers", mutation: null },
      ],
      calls: ["start duplex", "decide", "outcome success continue", "forwarded"],
    },
    {
      name: "headers skipped: the body starts the request and no headers answer is sent",
      script: {},
      messages: [{ ...body("ab", true), ...DUPLEX }],
      answers: [streamed("ab", true)],
      calls: ["start duplex skipped", "decide", "outcome success continue", "forwarded"],
    },
    {
      name: "a body over the limit: 413 as an ImmediateResponse, nothing more held",
      script: {},
      messages: [headers(DUPLEX), body("0123456789", false), body("0123456789", true)],
      answers: [
        {
          kind: "immediate",
          status: 413,
          headers: { set: [["content-type", "application/json"]], remove: [] },
          body: '{"error":{"message":"request body exceeds the limit of 16 bytes","type":"invalid_request_error","code":"request_body_too_large"}}',
          details: "test_request_body_too_large",
        },
      ],
      calls: ["start duplex", "outcome rejected 413", "ended aborted", "released"],
    },
    {
      name: "a refusal: the decisions' error as an ImmediateResponse",
      script: { forward: "reject" },
      messages: [headers(DUPLEX), body("ab", true)],
      answers: [
        {
          kind: "immediate",
          status: 403,
          headers: { set: [["content-type", "application/json"]], remove: [] },
          body: '{"error":{"message":"no","type":"permission_error","code":"refused"}}',
          details: "test_refused",
        },
      ],
      calls: ["start duplex", "decide", "outcome rejected 403", "ended aborted", "released"],
    },
    {
      name: "observability mode: everything runs, nothing is answered",
      script: {},
      messages: [headers({ ...DUPLEX, observabilityMode: true }), body("ab", true)],
      answers: [],
      calls: ["start duplex", "decide", "outcome success continue", "forwarded"],
    },
  ] as const)("$name", async ({ script, messages, answers, calls }) => {
    const got = await run(script, messages as unknown as Init[]);
    expect(got.error).toBeUndefined();
    expect(got.answers).toEqual(answers);
    expect(got.calls).toEqual(calls);
  });

  it.each([
    { name: "headers twice", messages: [headers(DUPLEX), headers()], code: "InvalidArgument", message: "request headers arrived twice" },
    { name: "a body after the request ended", messages: [headers(DUPLEX), body("a", true), body("b", true)], code: "InvalidArgument", message: "request body after the request ended" },
    { name: "trailers after end_of_stream", messages: [headers(DUPLEX), body("a", true), requestTrailers() as Init], code: "InvalidArgument", message: "request trailers after the request ended" },
    { name: "trailers before headers", messages: [requestTrailers() as Init], code: "InvalidArgument", message: "request trailers before request headers" },
    { name: "a response before the request is complete", messages: [headers(DUPLEX), responseHeaders({}) as Init], code: "FailedPrecondition", message: "response before the request was complete" },
  ])("refuses $name with a StreamError", async ({ messages, code, message }) => {
    const got = await run({}, messages);
    expect(got.error).toMatchObject({ name: "StreamError", code, message });
    // The first outcome counts: a request already forwarded stays a success.
    expect(got.calls.filter((c) => c.startsWith("outcome"))).toHaveLength(1);
    expect(got.calls.at(-1)).toBe("released cancelled");
  });

  it("a stream cancelled while the decision is pending gives the decision back and sends nothing", async () => {
    const sent: ProcessingResponse[] = [];
    const decisions = new ScriptedDecisions({ forward: { async: true } });
    const lifecycle = new StreamLifecycle(SETTINGS, decisions, { send: (r) => sent.push(r), close() {}, fail() {} });
    await lifecycle.onMessage(create(ProcessingRequestSchema, headers(DUPLEX)));
    const pending = lifecycle.onMessage(create(ProcessingRequestSchema, body("ab", true)));
    lifecycle.onCancel();
    await pending;
    expect(sent).toEqual([]);
    expect(decisions.calls).toEqual(["start duplex", "decide", "outcome cancelled none", "ended aborted", "released cancelled", "abandon"]);
  });
});

describe("StreamLifecycle, response path", () => {
  const request = [headers(DUPLEX), body("ab", true)];
  const forwarded = 2;
  const respHeaders = (eos = false) => responseHeaders({ ":status": "200" }, eos) as Init;
  const respBody = (text: string, eos: boolean) => responseBody(text, eos) as Init;
  const respStreamed = (b: string, eos: boolean): Summary => ({ kind: "responseBody", common: { clearRouteCache: false, mutation: null, streamed: { body: b, eos } } });
  const respHeadersAnswer: Summary = { kind: "responseHeaders", common: { clearRouteCache: true, mutation: { set: [["x-resp", "1"]], remove: [] } } };

  it.each([
    {
      name: "streams through, chunk by chunk",
      script: {},
      messages: [respHeaders(), respBody("abc", false), respBody("de", true)],
      answers: [respHeadersAnswer, respStreamed("abc", false), respStreamed("de", true)],
      calls: ["response", "chunk 3", "chunk 2", "ended"],
    },
    {
      name: "held whole when the decisions ask: headers answered with the body",
      script: { holdResponse: true, responseBody: "XY" },
      messages: [respHeaders(), respBody("abc", false), respBody("de", true)],
      answers: [respHeadersAnswer, respStreamed("XY", true)],
      calls: ["response", "held 2", "ended"],
    },
    {
      name: "over the hold limit: what was held is flushed and the rest streams",
      script: { holdResponse: true, responseBody: "never" },
      messages: [respHeaders(), respBody("abcdef", false), respBody("ghijk", false), respBody("l", true)],
      answers: [respHeadersAnswer, respStreamed("abcdef", false), respStreamed("ghijk", false), respStreamed("l", true)],
      calls: ["response", "chunk 5", "chunk 1", "ended"],
    },
    {
      name: "trailers end a held body",
      script: { holdResponse: true },
      messages: [respHeaders(), respBody("abc", false), responseTrailers() as Init],
      answers: [respHeadersAnswer, respStreamed("abc", false), { kind: "responseTrailers", mutation: null }],
      calls: ["response", "held 1", "ended"],
    },
    {
      name: "headers with end_of_stream complete the response",
      script: {},
      messages: [respHeaders(true)],
      answers: [respHeadersAnswer],
      calls: ["response", "ended"],
    },
  ] as const)("$name", async ({ script, messages, answers, calls }) => {
    const got = await run(script, [...request, ...(messages as unknown as Init[])]);
    expect(got.error).toBeUndefined();
    expect(got.answers.slice(forwarded)).toEqual(answers);
    expect(got.calls.slice(4)).toEqual(calls);
  });

  it("buffered: the held body answered once, with the header changes and the new body", async () => {
    const got = await run({ holdResponse: true, responseBody: "XY" }, [
      headers(BUFFERED),
      body("ab", true),
      respHeaders(),
      respBody("abc", true),
    ]);
    expect(got.answers.slice(2)).toEqual([
      respHeadersAnswer,
      { kind: "responseBody", common: { clearRouteCache: true, mutation: { set: [["x-resp", "1"]], remove: [] }, body: "XY" } },
    ]);
  });

  it("peer end before the response: the response ends aborted, the stream closes", async () => {
    const got = await run({}, request);
    got.lifecycle.onPeerEnd();
    expect(got.calls.slice(4)).toEqual(["ended aborted", "released"]);
  });
});
