import type { Logger } from "../../common/logger.js";
import { memoizedBy } from "../../common/memo.js";
import { isPromise } from "../../common/promise.js";
import { openAiErrorAnswer, type RequestError } from "../../common/request-error.js";
import { ok, type Result } from "../../common/result.js";
import {
  type Forward,
  type HeaderChanges,
  type HeadersOnly,
  NO_HEADER_CHANGES,
  type RequestStart,
  type ResponseForward,
  type ResponseStart,
  type StreamDecisions,
  type StreamOutcome,
} from "../../extproc/lifecycle/decisions.js";
import { type LifecycleSettings, StreamLifecycle } from "../../extproc/lifecycle/stream-lifecycle.js";
import type { HeaderSet } from "../../extproc/headers.js";
import { StreamError, type ResponseSink } from "../../extproc/transport/stream.js";
import type { Metadata } from "../../gen/envoy/config/core/v3/base_pb.js";
import type { CompletedResponse, MutableResponseHeaders, ResponseView } from "../api/request-control.js";
import type { EppMetrics } from "../metrics.js";
import { type Decision, type Director, requestIdOf } from "./director.js";
import { UsageTracker } from "./usage.js";
import { DESTINATION_ENDPOINT, destinationMetadata, readServedEndpoint, readSubsetHint } from "./wire.js";

/** EppSettings are the per-process limits a stream runs with. */
export interface EppSettings {
  /** Largest request body accepted; larger is answered 413 without buffering more. */
  readonly maxBodyBytes: number;
  /** Largest non-streaming response body copied to read its usage; beyond it usage is not read. */
  readonly maxResponseBufferBytes: number;
  /** Body mode assumed when Envoy sends no protocol_config: FULL_DUPLEX_STREAMED if true, else BUFFERED. */
  readonly streamingByDefault: boolean;
}

/** EppEnvironment is what every stream processor shares. */
export interface EppEnvironment {
  readonly director: Director;
  readonly metrics: EppMetrics;
  readonly logger: Logger;
  readonly settings: EppSettings;
}

const EMPTY_HEADERS: ReadonlyMap<string, string> = new Map();

/** lifecycleSettingsOf is the stream lifecycle's view of the EPP's limits (built once). */
const lifecycleSettingsOf = memoizedBy(
  (settings: EppSettings): LifecycleSettings => ({
    maxRequestBodyBytes: settings.maxBodyBytes,
    // The EPP never holds a response body whole; it reads usage as the chunks pass.
    maxResponseHoldBytes: 0,
    streamingByDefault: settings.streamingByDefault,
    detailsPrefix: "epp",
    renderError: openAiErrorAnswer,
  }),
);

/**
 * EppStreamProcessor runs the Endpoint Picker Protocol for one ext_proc stream on the shared
 * lifecycle: the request body is held until the director chooses endpoints, the answer carries
 * the destination header and the identical envoy.lb dynamic metadata (then the body), and the
 * response streams through while the served endpoint and the token usage are read.
 */
export class EppStreamProcessor extends StreamLifecycle {
  constructor(env: EppEnvironment, sink: ResponseSink) {
    super(lifecycleSettingsOf(env.settings), new EppExchange(env), sink);
  }
}

/**
 * EppExchange is the EPP's part of one exchange: endpoint choice (the director, with flow
 * control), the destination answer, and the response plugins and usage accounting.
 */
export class EppExchange implements StreamDecisions {
  private headers: ReadonlyMap<string, string> = EMPTY_HEADERS;
  private subsetHint: string[] | undefined;
  private requestId = "";
  private log: Logger;
  private readonly chunks: Uint8Array[] = [];
  private receivedBytes = 0;
  /** scheduled is the director's decision until it is sent; decision once it was. */
  private scheduled: Decision | undefined;
  private decision: Decision | undefined;
  private response: ResponseState | undefined;
  private servedEndpoint: string | undefined;
  private responseHeaderSets: HeaderSet[] = [];
  /** cancelled aborts a wait in flow control when the stream goes away. */
  private readonly cancelled = new AbortController();

  constructor(private readonly env: EppEnvironment) {
    this.log = env.logger;
  }

  logger(): Logger {
    return this.log;
  }

  onMetadata(metadata: Metadata): void {
    const served = readServedEndpoint(metadata);
    if (served !== undefined) this.servedEndpoint = served;
  }

  outcome(outcome: StreamOutcome, code: string): void {
    this.env.metrics.requests.inc({ outcome, code });
  }

  streamEnded(cancelled: boolean): void {
    // A request waiting in flow control leaves the queue now.
    if (cancelled) this.cancelled.abort();
    this.chunks.length = 0;
  }

  // ---- request ----

  startRequest(start: RequestStart): void {
    if (start.headersSkipped) {
      throw new StreamError(
        "FailedPrecondition",
        "the EPP needs request_header_mode SEND (request body arrived without headers)",
      );
    }
    this.headers = start.headers;
    this.requestId = requestIdOf(this.headers);
    this.log = this.env.logger.child({ requestId: this.requestId });
    this.subsetHint = readSubsetHint(start.metadata);
    if (start.bodyMode === "passthrough") {
      // STREAMED and similar modes need the headers answered before the body exists, so the
      // body could never inform the choice; refuse the configuration loudly.
      throw new StreamError("FailedPrecondition", "the EPP needs request_body_mode FULL_DUPLEX_STREAMED or BUFFERED");
    }
  }

  decideWithoutBody(): Result<HeadersOnly, RequestError> {
    const picked = this.env.director.pickWithoutBody(this.subsetHint);
    if (!picked.ok) return picked;
    return ok(destinationAnswer(picked.value));
  }

  appendRequestBody(chunk: Uint8Array): void {
    // grpc-js decodes every message into its own buffer, so holding the view is safe.
    this.chunks.push(chunk);
    this.receivedBytes += chunk.length;
  }

  decideRequest(): Result<Forward, RequestError> | Promise<Result<Forward, RequestError>> {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.receivedBytes);
    this.chunks.length = 0;
    const input = { headers: this.headers, body, subsetHint: this.subsetHint, requestId: this.requestId };
    const decided = this.env.director.admitAndSchedule(input, this.cancelled.signal);
    if (isPromise(decided)) return decided.then((d) => this.forwardOf(d, body));
    return this.forwardOf(decided, body);
  }

  private forwardOf(decided: Result<Decision, RequestError>, original: Uint8Array): Result<Forward, RequestError> {
    if (!decided.ok) return decided;
    const decision = decided.value;
    this.scheduled = decision;
    const destination = decision.destinations.join(",");
    return ok({
      ...destinationAnswer(destination),
      body: decision.newBody ?? original,
      bodyMutated: decision.newBody !== undefined,
      abandon: () => decision.release?.(),
    });
  }

  requestForwarded(): void {
    // Sent: from now on the response path accounts for the decision (and releases it).
    const decision = this.scheduled!;
    this.decision = decision;
    this.log.debug({ destination: decision.destinations.join(","), model: decision.request.targetModel }, "request scheduled");
  }

  // ---- response ----

  startResponse(start: ResponseStart): void {
    const headers = start.headers;
    const contentType = headers.get("content-type") ?? "";
    const encoding = headers.get("content-encoding");
    const status = Number(headers.get(":status"));
    const streaming = contentType.includes("text/event-stream") ? true : contentType === "" ? undefined : false;
    this.response = {
      headers,
      status: Number.isInteger(status) && status > 0 ? status : undefined,
      streaming: streaming ?? false,
      // Compressed bodies cannot be scanned for usage without inflating them; not worth it here.
      usage:
        encoding && encoding !== "identity"
          ? undefined
          : new UsageTracker(streaming, this.env.settings.maxResponseBufferBytes),
    };
  }

  holdsResponseBody(): boolean {
    return false;
  }

  private view(): ResponseView | undefined {
    const decision = this.decision;
    const r = this.response;
    if (!decision || !r) return undefined;
    return {
      request: decision.request,
      status: r.status,
      headers: r.headers,
      streaming: r.streaming,
      targetEndpoints: decision.destinations,
      servedEndpoint: this.servedEndpoint,
    };
  }

  responseHeaders(): void {
    const view = this.view();
    if (!view) return;
    const sets = this.responseHeaderSets;
    const mutable: MutableResponseHeaders = {
      ...view,
      setHeader(name: string, value: string) {
        sets.push({ key: name, value });
      },
    };
    this.env.director.handleResponseHeaders(mutable);
  }

  responseHeaderChanges(): HeaderChanges {
    return this.responseHeaderSets.length > 0 ? { sets: this.responseHeaderSets, removes: [] } : NO_HEADER_CHANGES;
  }

  responseChunk(chunk: Uint8Array, endOfStream: boolean): void {
    this.response!.usage?.push(chunk);
    const view = this.view();
    if (!view) return;
    this.env.director.handleResponseBody(view, chunk, endOfStream);
  }

  responseBody(): ResponseForward {
    throw new StreamError("Internal", "the EPP never holds a response body");
  }

  /**
   * responseEnded runs once per stream: for a scheduled request, token metrics and
   * ResponseComplete plugins, also when the stream ends early (aborted), so per-request plugin
   * state is always released.
   */
  responseEnded(aborted: boolean): void {
    const decision = this.decision;
    if (!decision) return;
    decision.release?.();
    const usage = aborted ? undefined : this.response?.usage?.finish();
    const request = decision.request;
    if (usage) {
      const { metrics } = this.env;
      const labels = {
        model_name: metrics.modelLabel(request.model),
        target_model_name: metrics.modelLabel(request.targetModel),
      };
      metrics.inputTokens.observe(labels, usage.promptTokens);
      metrics.outputTokens.observe(labels, usage.completionTokens);
    }
    const base = this.view() ?? {
      request,
      status: undefined,
      headers: EMPTY_HEADERS,
      streaming: false,
      targetEndpoints: decision.destinations,
      servedEndpoint: this.servedEndpoint,
    };
    const completed: CompletedResponse = { ...base, usage, aborted };
    // The response is already on its way; the director logs a failing observer, never fails the stream.
    this.env.director.handleResponseComplete(completed);
  }
}

/** destinationAnswer sets the destination header and the identical envoy.lb metadata. */
function destinationAnswer(destination: string): HeadersOnly {
  return {
    headers: { sets: [{ key: DESTINATION_ENDPOINT, value: destination }], removes: [] },
    dynamicMetadata: destinationMetadata(destination),
  };
}

/** ResponseState is what the processor knows of the response so far. */
interface ResponseState {
  readonly headers: ReadonlyMap<string, string>;
  readonly status: number | undefined;
  readonly streaming: boolean;
  readonly usage: UsageTracker | undefined;
}
