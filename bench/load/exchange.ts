import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { EXT_PROC_PROCESS_PATH } from "../../src/extproc/transport/service.js";
import { ProcessingMode_BodySendMode as BodySendMode } from "../../src/gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode_pb.js";
import {
  ProcessingRequestSchema,
  type ProcessingResponse,
  ProcessingResponseSchema,
} from "../../src/gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { BENCH_MODEL, type BodySpec, chunked, makeBody } from "../corpus.js";

/**
 * An Envoy-shaped FULL_DUPLEX_STREAMED exchange, as the ext_proc filter drives it for one
 * OpenAI request: a new stream; request headers (with protocol_config, raw_value headers as
 * Envoy sends them); the body in 16–64 KiB chunks written without waiting; once the processor
 * has returned the whole request body, the upstream's response headers and a small response
 * body; then the half-close. Messages are encoded once per scenario and reused.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** PreparedExchange is one scenario's messages, encoded once. */
export interface PreparedExchange {
  readonly requestMessages: readonly Buffer[];
  readonly responseMessages: readonly Buffer[];
  readonly bodyBytes: number;
  readonly chunks: number;
}

type RequestInit = MessageInitShape<typeof ProcessingRequestSchema>;

function encode(message: RequestInit): Buffer {
  const bytes = toBinary(ProcessingRequestSchema, create(ProcessingRequestSchema, message));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function headerMap(headers: Record<string, string>) {
  return { headers: Object.entries(headers).map(([key, v]) => ({ key, rawValue: encoder.encode(v) })) };
}

const RESPONSE_BODY = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1_750_000_000,
  model: BENCH_MODEL,
  choices: [{ index: 0, message: { role: "assistant", content: "Hello! How can I help?" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 812, completion_tokens: 7, total_tokens: 819 },
});

/** prepareExchange builds and encodes the messages of one scenario. */
export function prepareExchange(spec: BodySpec): PreparedExchange {
  const body = makeBody(spec);
  const pieces = chunked(body);
  const requestMessages = [
    encode({
      protocolConfig: {
        requestBodyMode: BodySendMode.FULL_DUPLEX_STREAMED,
        responseBodyMode: BodySendMode.FULL_DUPLEX_STREAMED,
      },
      request: {
        case: "requestHeaders",
        value: {
          headers: headerMap({
            ":authority": "inference-gateway.example.com",
            ":path": "/v1/chat/completions",
            ":method": "POST",
            ":scheme": "https",
            "content-type": "application/json",
            "content-length": String(body.length),
            accept: "application/json",
            "user-agent": "OpenAI/Python 1.82.0",
            authorization: "Bearer sk-bench-0000000000000000",
            "x-forwarded-proto": "https",
            "x-request-id": "3f2c7a4e-9b1d-4c8e-a6f0-5d2b8e7c1a90",
          }),
          endOfStream: false,
        },
      },
    }),
    ...pieces.map((piece, i) =>
      encode({ request: { case: "requestBody", value: { body: piece, endOfStream: i === pieces.length - 1 } } }),
    ),
  ];
  const responseBody = encoder.encode(RESPONSE_BODY);
  const responseMessages = [
    encode({
      request: {
        case: "responseHeaders",
        value: {
          headers: headerMap({
            ":status": "200",
            "content-type": "application/json",
            "content-length": String(responseBody.length),
            server: "uvicorn",
          }),
          endOfStream: false,
        },
      },
    }),
    encode({ request: { case: "responseBody", value: { body: responseBody, endOfStream: true } } }),
  ];
  return { requestMessages, responseMessages, bodyBytes: body.length, chunks: pieces.length };
}

/** ExchangeOutcome is how one exchange went. */
export type ExchangeOutcome =
  | { readonly ok: true; readonly latencyMs: number; readonly wrong: string | undefined }
  | { readonly ok: false; readonly error: string };

const identity = (b: Buffer) => b;
const decode = (b: Buffer) => fromBinary(ProcessingResponseSchema, b);
const EXCHANGE_TIMEOUT_MS = 120_000;

/**
 * runExchange plays one exchange on a new stream. `expectModel` (BBR only) checks that the
 * request-headers answer set X-Gateway-Model-Name to the body's model; `destinations` (EPP
 * only) that it set x-gateway-destination-endpoint to one of them; every run checks that the
 * whole request body came back.
 */
export function runExchange(
  client: grpc.Client,
  prepared: PreparedExchange,
  expectModel: boolean,
  abort: AbortSignal,
  destinations?: ReadonlySet<string>,
): Promise<ExchangeOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const call = client.makeBidiStreamRequest<Buffer, ProcessingResponse>(EXT_PROC_PROCESS_PATH, identity, decode);
    let settled = false;
    let echoed = 0;
    let wrong: string | undefined;
    let sawRequestHeaders = false;
    const timer = setTimeout(() => settle({ ok: false, error: "timed out" }), EXCHANGE_TIMEOUT_MS);
    const onAbort = () => settle({ ok: false, error: "aborted" });
    const settle = (outcome: ExchangeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abort.removeEventListener("abort", onAbort);
      if (!outcome.ok) call.cancel();
      resolve(outcome);
    };
    call.on("data", (r: ProcessingResponse) => {
      switch (r.response.case) {
        case "requestHeaders":
          sawRequestHeaders = true;
          if (expectModel) wrong ??= checkModelHeader(r);
          if (destinations) wrong ??= checkDestinationHeader(r, destinations);
          break;
        case "requestBody": {
          const m = r.response.value.response?.bodyMutation?.mutation;
          if (m?.case !== "streamedResponse") break;
          echoed += m.value.body.length;
          if (m.value.endOfStream) {
            if (echoed !== prepared.bodyBytes)
              wrong ??= `request body came back as ${echoed} of ${prepared.bodyBytes} bytes`;
            if (!sawRequestHeaders) wrong ??= "no request headers answer";
            void writeAll(call, prepared.responseMessages);
          }
          break;
        }
        case "responseBody": {
          const m = r.response.value.response?.bodyMutation?.mutation;
          if (m?.case === "streamedResponse" && m.value.endOfStream) {
            settle({ ok: true, latencyMs: performance.now() - started, wrong });
            call.end();
          }
          break;
        }
        case "immediateResponse":
          settle({ ok: false, error: `immediate response ${r.response.value.status?.code}` });
          break;
        default:
          break;
      }
    });
    // Stopping a scenario cancels what is in flight rather than waiting for slow exchanges.
    abort.addEventListener("abort", onAbort, { once: true });
    call.on("status", (s: grpc.StatusObject) =>
      settle({ ok: false, error: `stream ended early: ${s.code} ${s.details}` }),
    );
    call.on("error", () => {
      /* reported through "status" */
    });
    void writeAll(call, prepared.requestMessages);
  });
}

function setHeaderValue(r: ProcessingResponse, name: string): string | undefined {
  if (r.response.case !== "requestHeaders") return undefined;
  const sets = r.response.value.response?.headerMutation?.setHeaders ?? [];
  const header = sets.find((h) => h.header?.key.toLowerCase() === name)?.header;
  return header ? header.value || decoder.decode(header.rawValue) : undefined;
}

function checkModelHeader(r: ProcessingResponse): string | undefined {
  const value = setHeaderValue(r, "x-gateway-model-name");
  return value === BENCH_MODEL ? undefined : `model header ${String(value)}`;
}

function checkDestinationHeader(r: ProcessingResponse, destinations: ReadonlySet<string>): string | undefined {
  const value = setHeaderValue(r, "x-gateway-destination-endpoint");
  return value !== undefined && destinations.has(value) ? undefined : `destination header ${String(value)}`;
}

/** writeAll writes messages in order, waiting for drain when the stream pushes back (as Envoy's buffer limits do). */
async function writeAll(
  call: grpc.ClientDuplexStream<Buffer, ProcessingResponse>,
  messages: readonly Buffer[],
): Promise<void> {
  for (const m of messages) {
    if (call.destroyed) return;
    if (!call.write(m)) await drainedOrClosed(call);
  }
}

function drainedOrClosed(call: grpc.ClientDuplexStream<Buffer, ProcessingResponse>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("close", done);
      resolve();
    };
    call.on("drain", done);
    call.on("close", done);
  });
}
