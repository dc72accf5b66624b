import { create } from "@bufbuild/protobuf";
import type { Logger } from "../../common/logger.js";
import { openAiErrorBody, type RequestError } from "../../common/request-error.js";
import { StreamLifecycle } from "../../extproc/lifecycle/stream-lifecycle.js";
import type { ResponseSink, StreamError } from "../../extproc/transport/stream.js";
import { HeaderMapSchema } from "../../gen/envoy/config/core/v3/base_pb.js";
import { ProcessingMode_BodySendMode as BodySendMode } from "../../gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode_pb.js";
import {
  type ProcessingRequest,
  ProcessingRequestSchema,
  type ProcessingResponse,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import type { Plugin } from "../../plugin/plugin.js";
import { MODEL_HEADER } from "../api/model-selection.js";
import { BbrMetrics } from "../metrics.js";
import { BbrExchange, type ChainListener, lifecycleSettingsOf } from "../pipeline/bbr-exchange.js";
import type { BbrSettings } from "../pipeline/settings.js";

/** EvaluationInput is a request to dry-run: headers (any case) and the body bytes. */
export interface EvaluationInput {
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
}

/** EvaluationTiming is one plugin call's duration. */
export interface EvaluationTiming {
  readonly plugin: Plugin;
  readonly extensionPoint: string;
  readonly durationMs: number;
}

/** EvaluationError is what BBR would answer instead of forwarding. */
export interface EvaluationError {
  /** 0 when the ext_proc stream would fail (Envoy's failure mode decides). */
  readonly httpStatus: number;
  readonly code: string;
  readonly reason: string;
  readonly message: string;
  readonly body: string;
}

/** Evaluation is the outcome of a dry run. */
export interface Evaluation {
  readonly headersSet: readonly { name: string; value: string }[];
  readonly headersRemoved: readonly string[];
  readonly bodyChanged: boolean;
  readonly body: Uint8Array | undefined;
  readonly model: string;
  readonly timings: readonly EvaluationTiming[];
  readonly error: EvaluationError | undefined;
}

// A dry run counts in its own metrics, never in the ones Prometheus scrapes.
let dryRunMetrics: BbrMetrics | undefined;

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/**
 * evaluateRequest dry-runs one request on the live path itself: a StreamLifecycle running
 * BBR's decisions (the same objects an ext_proc stream runs) over the messages Envoy would
 * send in FULL_DUPLEX_STREAMED mode, into a recording sink. So limits, JSON checks, decoding of
 * compressed bodies, plugins, failure policies and header ownership are the stream's own. The
 * answer leaves out transport details: Content-Length, chunking, and re-encoding a changed
 * compressed body (the body shown is the one plugins produced).
 */
export async function evaluateRequest(settings: BbrSettings, input: EvaluationInput, logger: Logger): Promise<Evaluation> {
  dryRunMetrics ??= new BbrMetrics({ defaultMetrics: false });
  const env = { settings: () => settings, metrics: dryRunMetrics, logger };
  const timings: EvaluationTiming[] = [];
  // Timings only: a dry run observes none of the live duration series.
  const onStep: ChainListener = (step, seconds) => {
    if (step.chain === "request") {
      timings.push({ plugin: step.plugin, extensionPoint: step.extensionPoint, durationMs: seconds * 1000 });
    }
  };
  const exchange = new BbrExchange(env, settings, onStep);
  let rejected: RequestError | undefined;
  const live = lifecycleSettingsOf(settings);
  const lifecycleSettings = {
    ...live,
    renderError: (error: RequestError) => {
      rejected = error;
      return live.renderError(error);
    },
  };
  const sent: ProcessingResponse[] = [];
  let failure: StreamError | undefined;
  const sink: ResponseSink = {
    send: (r) => sent.push(r),
    close: () => {},
    fail: (e) => {
      failure = e;
    },
  };
  const stream = new StreamLifecycle(lifecycleSettings, exchange, sink);
  let thrown: unknown;
  try {
    for (const message of requestMessages(input)) await stream.onMessage(message);
  } catch (e) {
    thrown = e;
  }
  const error = rejected ? requestErrorOf(rejected) : failure || thrown ? streamErrorOf(failure ?? thrown) : undefined;
  if (error) {
    stream.onCancel();
    return { headersSet: [], headersRemoved: [], bodyChanged: false, body: undefined, model: "", timings, error };
  }
  const mutation = sent[0]?.response.case === "requestHeaders" ? sent[0].response.value.response?.headerMutation : undefined;
  const headersSet = (mutation?.setHeaders ?? [])
    .map((h) => ({ name: h.header?.key ?? "", value: decoder.decode(h.header?.rawValue) }))
    .filter((h) => h.name.toLowerCase() !== "content-length");
  const model = headersSet.findLast((h) => h.name.toLowerCase() === MODEL_HEADER.toLowerCase())?.value ?? "";
  const body = exchange.requestBody();
  const bodyChanged = body?.mutated ?? false;
  const changedBytes = bodyChanged ? body?.finalBytes() : undefined;
  stream.onCancel();
  return {
    headersSet,
    headersRemoved: [...(mutation?.removeHeaders ?? [])],
    bodyChanged,
    body: changedBytes,
    model,
    timings,
    error: undefined,
  };
}

/** requestMessages are what Envoy sends for the request: headers, then the whole body. */
function requestMessages(input: EvaluationInput): ProcessingRequest[] {
  const headers = create(HeaderMapSchema, {
    headers: [...input.headers].map(([key, value]) => ({ key, rawValue: encoder.encode(value) })),
  });
  return [
    create(ProcessingRequestSchema, {
      request: { case: "requestHeaders", value: { headers, endOfStream: false } },
      protocolConfig: {
        requestBodyMode: BodySendMode.FULL_DUPLEX_STREAMED,
        responseBodyMode: BodySendMode.FULL_DUPLEX_STREAMED,
      },
    }),
    create(ProcessingRequestSchema, { request: { case: "requestBody", value: { body: input.body, endOfStream: true } } }),
  ];
}

function requestErrorOf(e: RequestError): EvaluationError {
  return { httpStatus: e.httpStatus, code: e.code, reason: e.reason, message: e.message, body: openAiErrorBody(e) };
}

function streamErrorOf(e: unknown): EvaluationError {
  const message = e instanceof Error ? e.message : String(e);
  return { httpStatus: 0, code: "StreamError", reason: "stream_failed", message, body: "" };
}
