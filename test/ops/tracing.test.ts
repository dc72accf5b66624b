import * as grpc from "@grpc/grpc-js";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BbrSettings } from "../../src/bbr/pipeline/settings.js";
import { BbrMetrics } from "../../src/bbr/metrics.js";
import { bbrStreamFactory } from "../../src/bbr/server/stream-factory.js";
import { BbrStreamProcessor } from "../../src/bbr/pipeline/stream-processor.js";
import { silentLogger } from "../../src/common/logger.js";
import { extProcServiceDefinition } from "../../src/extproc/transport/grpc.js";
import { EXT_PROC_PROCESS_PATH, EXT_PROC_SERVICE } from "../../src/extproc/transport/service.js";
import type {
  ProcessingRequest,
  ProcessingResponse,
} from "../../src/gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { activeTracer } from "../../src/runtime/tracing/tracer.js";
import { type RunningBbr, startBbr } from "../support/bbr-test-server.js";
import { TestStream } from "../support/ext-proc-client.js";
import { requestBody, requestHeaders, responseHeaders } from "../support/messages.js";
import { type FinishedSpan, TestSdk } from "./support/otel-test-sdk.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";
const ENVOY_SPAN = "b7ad6b7169203331";
const traceparent = (span: string) => `00-${TRACE_ID}-${span}-01`;
const JSON_POST = {
  ":method": "POST",
  ":path": "/v1/chat/completions?api-key=secret",
  "content-type": "application/json",
  "x-request-id": "req-7",
};
const STREAM_SPAN = `${EXT_PROC_SERVICE}/Process`;

/** send runs one request; metadata is the ext_proc call's gRPC metadata (Envoy's own trace context). */
async function send(port: number, headers: Record<string, string>, body: string, metadata = new grpc.Metadata()) {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const def = extProcServiceDefinition["Process"]!;
  const stream = new TestStream(
    client.makeBidiStreamRequest(
      EXT_PROC_PROCESS_PATH,
      def.requestSerialize as (m: ProcessingRequest) => Buffer,
      def.responseDeserialize as (b: Buffer) => ProcessingResponse,
      metadata,
    ),
  );
  stream.send(requestHeaders(headers)).send(requestBody(body, true));
  const end = await stream.finish();
  client.close();
  return end;
}

const byName = (spans: FinishedSpan[], name: string) => spans.filter((s) => s.name === name);

describe("OpenTelemetry tracing", () => {
  let bbr: RunningBbr | undefined;
  const sdk = new TestSdk();
  afterEach(async () => {
    await bbr?.stop();
    bbr = undefined;
    sdk.uninstall();
    sdk.spans.length = 0;
  });

  describe("without an SDK", () => {
    it("has no active tracer and builds untraced stream processors (the hot path stays as is)", () => {
      expect(activeTracer()).toBeUndefined();
      const env = {
        settings: () => ({}) as BbrSettings,
        metrics: new BbrMetrics({ defaultMetrics: false }),
        logger: silentLogger(),
      };
      const sink = { send() {}, close() {}, fail() {} };
      expect(bbrStreamFactory(env, { get: () => undefined, keys: () => [] }, true)(sink)).toBeInstanceOf(BbrStreamProcessor);
    });
  });

  describe("with an SDK registered", () => {
    beforeEach(() => sdk.install());

    it("records one SERVER span per stream, parented by the request's traceparent, with plugin child spans", async () => {
      expect(activeTracer()).toBeDefined();
      bbr = await startBbr();
      const end = await send(
        bbr.server.ports.grpc,
        { ...JSON_POST, traceparent: traceparent(CLIENT_SPAN) },
        `{"model":"llama"}`,
      );
      expect(end.end.code).toBe(grpc.status.OK);

      const [stream, ...more] = byName(sdk.spans, STREAM_SPAN);
      expect(more).toEqual([]);
      expect(stream).toMatchObject({
        kind: SpanKind.SERVER,
        scope: "inference-bbr",
        parentSpanId: CLIENT_SPAN,
        status: undefined,
        links: [],
        attributes: {
          "rpc.system": "grpc",
          "rpc.service": EXT_PROC_SERVICE,
          "rpc.method": "Process",
          "http.request.method": "POST",
          "url.path": "/v1/chat/completions",
          "http.request.header.x-request-id": ["req-7"],
        },
      });
      expect(stream!.spanContext.traceId).toBe(TRACE_ID);

      const plugins = sdk.spans.filter((s) => s.name.startsWith("bbr.plugin "));
      expect(plugins.map((s) => [s.name, s.attributes])).toEqual([
        [
          "bbr.plugin body-field-to-header",
          { "plugin.type": "body-field-to-header", "plugin.name": "model-to-header", "plugin.chain": "request" },
        ],
        [
          "bbr.plugin base-model-to-header",
          { "plugin.type": "base-model-to-header", "plugin.name": "base-model-to-header", "plugin.chain": "request" },
        ],
      ]);
      for (const p of plugins) {
        expect(p.parentSpanId).toBe(stream!.spanContext.spanId);
        expect(p.spanContext.traceId).toBe(TRACE_ID);
        expect(p.startTime).toBeLessThanOrEqual(p.endTime);
      }
      expect(sdk.spans.at(-1)).toBe(stream); // plugins end first; the stream span ends with the stream
    });

    it("prefers Envoy's ext_proc span from the call metadata and links the client's context", async () => {
      bbr = await startBbr();
      const metadata = new grpc.Metadata();
      metadata.set("traceparent", traceparent(ENVOY_SPAN));
      await send(
        bbr.server.ports.grpc,
        { ...JSON_POST, traceparent: traceparent(CLIENT_SPAN) },
        `{"model":"llama"}`,
        metadata,
      );
      const [stream] = byName(sdk.spans, STREAM_SPAN);
      expect(stream!.parentSpanId).toBe(ENVOY_SPAN);
      expect(stream!.links).toEqual([
        { context: { traceId: TRACE_ID, spanId: CLIENT_SPAN, traceFlags: 1, isRemote: true } },
      ]);
    });

    it("starts a new trace when nothing was propagated", async () => {
      bbr = await startBbr();
      await send(bbr.server.ports.grpc, JSON_POST, `{"model":"llama"}`);
      const [stream] = byName(sdk.spans, STREAM_SPAN);
      expect(stream!.parentSpanId).toBeUndefined();
      expect(stream!.spanContext.traceId).not.toBe(TRACE_ID);
    });

    it.each([
      { name: "malformed JSON", body: `{"model":`, status: 400 },
      { name: "a body over the limit", body: `{"model":"${"x".repeat(2048)}"}`, status: 413 },
    ])("records the HTTP status answered for $name, without marking the span as an error", async ({ body, status }) => {
      bbr = await startBbr(undefined, { maxBodyBytes: 1024 });
      await send(bbr.server.ports.grpc, JSON_POST, body);
      const [stream] = byName(sdk.spans, STREAM_SPAN);
      expect(stream!.attributes["http.response.status_code"]).toBe(status);
      expect(stream!.status).toBeUndefined();
    });

    it("marks the span as an error when BBR answers 5xx (a plugin failed)", async () => {
      bbr = await startBbr("plugins:\n  - type: test-fail\n    parameters: {phase: request}\n");
      await send(bbr.server.ports.grpc, JSON_POST, `{"model":"llama"}`);
      const [stream] = byName(sdk.spans, STREAM_SPAN);
      expect(stream!.attributes["http.response.status_code"]).toBe(500);
      expect(stream!.status).toEqual({ code: SpanStatusCode.ERROR, message: "answered HTTP 500" });
    });

    it("ends the span when Envoy resets the stream mid-request", async () => {
      bbr = await startBbr();
      const stream = bbr.client.open();
      stream.send(requestHeaders(JSON_POST));
      await expect.poll(() => bbr!.server.inFlightStreams).toBe(1);
      stream.cancel();
      await expect.poll(() => byName(sdk.spans, STREAM_SPAN).length).toBe(1);
      expect(byName(sdk.spans, STREAM_SPAN)[0]).toMatchObject({
        status: undefined,
        attributes: { "url.path": "/v1/chat/completions" },
      });
    });

    it("records a protocol error (response before the request completed) as an error span", async () => {
      bbr = await startBbr();
      const stream = bbr.client.open();
      stream.send(requestHeaders(JSON_POST)).send(responseHeaders({ ":status": "200" }));
      expect((await stream.end()).code).toBe(grpc.status.FAILED_PRECONDITION);
      await expect.poll(() => byName(sdk.spans, STREAM_SPAN).length).toBe(1);
      expect(byName(sdk.spans, STREAM_SPAN)[0]!.attributes["error.type"]).toBe("FailedPrecondition");
    });

    it("creates no spans with --tracing=false", async () => {
      bbr = await startBbr(undefined, { tracing: false });
      await send(bbr.server.ports.grpc, { ...JSON_POST, traceparent: traceparent(CLIENT_SPAN) }, `{"model":"llama"}`);
      expect(sdk.spans).toEqual([]);
    });
  });
});
