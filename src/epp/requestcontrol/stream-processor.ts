import type { Logger } from "../../common/logger.js";
import type { Result } from "../../common/result.js";
import { buildHeaderMutation, type HeaderSet, readHeaderMap } from "../../extproc/headers.js";
import {
  bufferedBodyResponse,
  emptyBodyResponse,
  emptyHeadersResponse,
  emptyTrailersResponse,
  immediateErrorResponse,
  mutatingHeadersResponse,
  streamedBodyResponses,
  withDynamicMetadata,
} from "../../extproc/responses.js";
import { type BodyMode, bodyModesOf, dispatchPhase, type PhaseHandlers } from "../../extproc/phases.js";
import { type ResponseSink, StreamError, type StreamHandler } from "../../extproc/transport/stream.js";
import { RequestError } from "../../common/request-error.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { Metadata } from "../../gen/envoy/config/core/v3/base_pb.js";
import type {
  HttpBody,
  HttpHeaders,
  ProcessingRequest,
  ProcessingResponse,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import type { LoadedEppConfig } from "../config/loader.js";
import type { CompletedResponse, MutableResponseHeaders, ResponseView } from "../api/request-control.js";
import type { EppMetrics, RequestOutcome } from "../metrics.js";
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
  readonly config: LoadedEppConfig;
  readonly metrics: EppMetrics;
  readonly logger: Logger;
  readonly settings: EppSettings;
}

type RequestPhase = "awaiting-headers" | "receiving-body" | "complete";
type ResponsePhase = "awaiting-headers" | "body" | "complete";

const CONTENT_LENGTH = "Content-Length";
const DETAILS_PREFIX = "epp";
const EMPTY_HEADERS: ReadonlyMap<string, string> = new Map();

/**
 * EppStreamProcessor runs the Endpoint Picker Protocol for one ext_proc stream: it buffers the
 * request body, has the director choose endpoints, answers with the destination header and the
 * identical envoy.lb dynamic metadata (then the body), and streams the response through,
 * reading the served endpoint and the token usage on the way. Refusals are ImmediateResponses.
 */
export class EppStreamProcessor implements StreamHandler {
  private requestMode: BodyMode | undefined;
  private responseMode: BodyMode = "duplex";
  private observeOnly = false;
  private ended = false;
  private outcome: RequestOutcome | undefined;
  private requestPhase: RequestPhase = "awaiting-headers";
  private responsePhase: ResponsePhase = "awaiting-headers";
  private headers: ReadonlyMap<string, string> = EMPTY_HEADERS;
  private subsetHint: string[] | undefined;
  private requestId = "";
  private log: Logger;
  private readonly chunks: Uint8Array[] = [];
  private receivedBytes = 0;
  private decision: Decision | undefined;
  private response: ResponseState | undefined;
  private servedEndpoint: string | undefined;
  private completed = false;
  /** metadataContext is the current message's (the request headers read the subset hint from it). */
  private metadataContext: Metadata | undefined;
  /** cancelled aborts a wait in flow control when the stream goes away. */
  private readonly cancelled = new AbortController();

  constructor(
    private readonly env: EppEnvironment,
    private readonly sink: ResponseSink,
  ) {
    this.log = env.logger;
  }

  onMessage(message: ProcessingRequest): void | Promise<void> {
    if (this.ended) return;
    try {
      const pending = this.dispatch(message);
      if (pending) return pending.catch((e: unknown) => this.failed(e));
    } catch (e) {
      this.failed(e);
    }
  }

  onPeerEnd(): void {
    if (this.ended) return;
    if (this.requestPhase !== "complete") this.recordOutcome("cancelled", "none");
    this.completeResponse(true);
    this.end();
  }

  onCancel(): void {
    if (this.ended) return;
    // A request waiting in flow control leaves the queue now.
    this.cancelled.abort();
    this.recordOutcome("cancelled", "none");
    this.completeResponse(true);
    this.ended = true;
    this.chunks.length = 0;
  }

  private failed(e: unknown): never {
    this.cancelled.abort();
    this.recordOutcome("failed", "none");
    this.completeResponse(true);
    this.ended = true;
    this.chunks.length = 0;
    this.log.error({ err: e instanceof Error ? e.message : String(e) }, "ext_proc stream failed");
    throw e;
  }

  private dispatch(message: ProcessingRequest): void | Promise<void> {
    if (this.requestMode === undefined) this.readProtocolConfig(message);
    // Envoy's observability mode forbids answers; scheduling still runs for metrics and logs.
    if (message.observabilityMode) this.observeOnly = true;
    this.noteServedEndpoint(message.metadataContext);
    this.metadataContext = message.metadataContext;
    return dispatchPhase(message, this.phases);
  }

  private readonly phases: PhaseHandlers<void | Promise<void>> = {
    requestHeaders: (h) => this.onRequestHeaders(h, this.metadataContext),
    requestBody: (b) => this.onRequestBody(b),
    requestTrailers: () => this.onRequestTrailers(),
    responseHeaders: (h) => this.onResponseHeaders(h),
    responseBody: (b) => this.onResponseBody(b),
    responseTrailers: () => this.onResponseTrailers(),
  };

  private readProtocolConfig(message: ProcessingRequest): void {
    const modes = bodyModesOf(message, this.env.settings.streamingByDefault);
    this.requestMode = modes.request;
    this.responseMode = modes.response;
  }

  private noteServedEndpoint(metadata: Metadata | undefined): void {
    const served = readServedEndpoint(metadata);
    if (served !== undefined) this.servedEndpoint = served;
  }

  private send(response: ProcessingResponse): void {
    if (!this.observeOnly && !this.ended) this.sink.send(response);
  }

  private end(): void {
    this.ended = true;
    this.chunks.length = 0;
    this.sink.close();
  }

  private recordOutcome(outcome: RequestOutcome, code: string): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    this.env.metrics.requests.inc({ outcome, code });
  }

  /** reject answers the HTTP request with an error and ends the stream. */
  private reject(error: RequestError): void {
    this.recordOutcome("rejected", String(error.httpStatus));
    this.log.debug({ status: error.httpStatus, reason: error.reason }, "request rejected");
    this.send(immediateErrorResponse(error, DETAILS_PREFIX));
    this.end();
  }

  // ---- request path ----

  private onRequestHeaders(h: HttpHeaders, metadata: Metadata | undefined): void {
    if (this.requestPhase !== "awaiting-headers")
      throw new StreamError("InvalidArgument", "request headers arrived twice");
    this.headers = readHeaderMap(h.headers);
    this.requestId = requestIdOf(this.headers);
    this.log = this.env.logger.child({ requestId: this.requestId });
    this.subsetHint = readSubsetHint(metadata);
    if (h.endOfStream || this.requestMode === "none") {
      this.requestPhase = "complete";
      this.answerWithoutBody();
      return;
    }
    if (this.requestMode === "passthrough") {
      // STREAMED and similar modes need the headers answered before the body exists, so the
      // body could never inform the choice; refuse the configuration loudly.
      throw new StreamError("FailedPrecondition", "the EPP needs request_body_mode FULL_DUPLEX_STREAMED or BUFFERED");
    }
    this.requestPhase = "receiving-body";
    if (this.requestMode === "buffered") this.send(emptyHeadersResponse("request"));
  }

  private answerWithoutBody(): void {
    const picked = this.env.director.pickWithoutBody(this.subsetHint);
    if (!picked.ok) {
      this.reject(picked.error);
      return;
    }
    this.send(this.destinationHeadersResponse(picked.value, []));
    this.recordOutcome("success", "continue");
  }

  private destinationHeadersResponse(destination: string, extra: HeaderSet[]): ProcessingResponse {
    const sets = [{ key: DESTINATION_ENDPOINT, value: destination }, ...extra];
    return withDynamicMetadata(
      mutatingHeadersResponse("request", buildHeaderMutation(sets, [])),
      destinationMetadata(destination),
    );
  }

  private onRequestBody(b: HttpBody): void | Promise<void> {
    if (this.requestPhase === "awaiting-headers") {
      throw new StreamError(
        "FailedPrecondition",
        "the EPP needs request_header_mode SEND (request body arrived without headers)",
      );
    }
    if (this.requestPhase !== "receiving-body")
      throw new StreamError("InvalidArgument", "request body after the request ended");
    const limit = this.env.settings.maxBodyBytes;
    if (this.receivedBytes + b.body.length > limit) {
      this.reject(
        new RequestError("PayloadTooLarge", `request body exceeds the limit of ${limit} bytes`, {
          reason: "request_body_too_large",
        }),
      );
      return;
    }
    // grpc-js decodes every message into its own buffer, so holding the view is safe.
    this.chunks.push(b.body);
    this.receivedBytes += b.body.length;
    // BUFFERED mode sends the whole body in one message (trailers may still follow).
    if (b.endOfStream || this.requestMode === "buffered") return this.completeRequest(b.endOfStream);
  }

  private onRequestTrailers(): void | Promise<void> {
    if (this.requestPhase === "awaiting-headers")
      throw new StreamError("InvalidArgument", "request trailers before request headers");
    // Trailers end a body whose last chunk had no end_of_stream: decide now, then answer them.
    if (this.requestPhase === "receiving-body") {
      const pending = this.completeRequest(false);
      if (pending) return pending.then(() => this.send(emptyTrailersResponse("request")));
    }
    this.send(emptyTrailersResponse("request"));
  }

  private completeRequest(endOfStream: boolean): void | Promise<void> {
    this.requestPhase = "complete";
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.receivedBytes);
    this.chunks.length = 0;
    const input = { headers: this.headers, body, subsetHint: this.subsetHint, requestId: this.requestId };
    const decided = this.env.director.admitAndSchedule(input, this.cancelled.signal);
    if ("then" in decided) return decided.then((d) => this.onDecision(d, body, endOfStream));
    this.onDecision(decided, body, endOfStream);
  }

  private onDecision(decided: Result<Decision, RequestError>, body: Uint8Array, endOfStream: boolean): void {
    if (this.ended) {
      // Cancelled while it waited or was scheduled: give the slot back at once.
      if (decided.ok) decided.value.release?.();
      return;
    }
    if (!decided.ok) {
      this.reject(decided.error);
      return;
    }
    this.forwardRequest(decided.value, body, endOfStream);
  }

  private forwardRequest(decision: Decision, original: Uint8Array, endOfStream: boolean): void {
    this.decision = decision;
    const destination = decision.destinations.join(",");
    const body = decision.newBody ?? original;
    if (this.requestMode === "duplex") {
      // A length matching the (possibly rewritten) body is what HTTP/1 upstreams without chunking need.
      this.send(this.destinationHeadersResponse(destination, [{ key: CONTENT_LENGTH, value: String(body.length) }]));
      for (const piece of streamedBodyResponses("request", body, endOfStream)) this.send(piece);
    } else {
      const sets: HeaderSet[] = [{ key: DESTINATION_ENDPOINT, value: destination }];
      if (decision.newBody) sets.push({ key: CONTENT_LENGTH, value: String(body.length) });
      const answer = bufferedBodyResponse("request", buildHeaderMutation(sets, []), decision.newBody);
      this.send(withDynamicMetadata(answer, destinationMetadata(destination)));
    }
    this.recordOutcome("success", "continue");
    this.log.debug({ destination, model: decision.request.targetModel }, "request scheduled");
  }

  // ---- response path ----

  private checkResponseMayStart(): void {
    if (this.requestPhase !== "complete")
      throw new StreamError("FailedPrecondition", "response before the request was complete");
  }

  private startResponse(headers: ReadonlyMap<string, string>): ResponseState {
    const contentType = headers.get("content-type") ?? "";
    const encoding = headers.get("content-encoding");
    const status = Number(headers.get(":status"));
    const streaming = contentType.includes("text/event-stream") ? true : contentType === "" ? undefined : false;
    const state: ResponseState = {
      headers,
      status: Number.isInteger(status) && status > 0 ? status : undefined,
      streaming: streaming ?? false,
      // Compressed bodies cannot be scanned for usage without inflating them; not worth it here.
      usage:
        encoding && encoding !== "identity"
          ? undefined
          : new UsageTracker(streaming, this.env.settings.maxResponseBufferBytes),
    };
    this.response = state;
    return state;
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

  private timed(extensionPoint: string, plugin: Plugin, run: () => void): void {
    const start = performance.now();
    run();
    this.env.metrics.pluginDuration.observe(
      { extension_point: extensionPoint, plugin_type: plugin.typedName.type, plugin_name: plugin.typedName.name },
      (performance.now() - start) / 1000,
    );
  }

  private onResponseHeaders(h: HttpHeaders): void {
    this.checkResponseMayStart();
    if (this.responsePhase !== "awaiting-headers")
      throw new StreamError("InvalidArgument", "response headers arrived twice");
    this.startResponse(readHeaderMap(h.headers));
    const sets: HeaderSet[] = [];
    const view = this.view();
    if (view) {
      const mutable: MutableResponseHeaders = {
        ...view,
        setHeader(name: string, value: string) {
          sets.push({ key: name, value });
        },
      };
      for (const plugin of this.env.config.responseHeader)
        this.timed("ResponseHeader", plugin, () => plugin.responseHeader(mutable));
    }
    this.send(
      sets.length > 0
        ? mutatingHeadersResponse("response", buildHeaderMutation(sets, []))
        : emptyHeadersResponse("response"),
    );
    if (h.endOfStream || this.responseMode === "none") {
      this.responsePhase = "complete";
      this.completeResponse(false);
      return;
    }
    this.responsePhase = "body";
  }

  private onResponseBody(b: HttpBody): void {
    if (this.responsePhase === "awaiting-headers") {
      // response_header_mode SKIP: the body starts the response.
      this.checkResponseMayStart();
      this.startResponse(EMPTY_HEADERS);
      this.responsePhase = "body";
    }
    if (this.responsePhase !== "body")
      throw new StreamError("InvalidArgument", "response body after the response ended");
    const state = this.response!;
    state.usage?.push(b.body);
    const view = this.view();
    if (view) {
      for (const plugin of this.env.config.responseBody) {
        this.timed("ResponseBody", plugin, () => plugin.responseBody(view, b.body, b.endOfStream));
      }
    }
    if (this.responseMode === "duplex") {
      for (const piece of streamedBodyResponses("response", b.body, b.endOfStream)) this.send(piece);
    } else {
      this.send(emptyBodyResponse("response"));
    }
    if (b.endOfStream) {
      this.responsePhase = "complete";
      this.completeResponse(false);
    }
  }

  private onResponseTrailers(): void {
    if (this.responsePhase === "awaiting-headers")
      throw new StreamError("InvalidArgument", "response trailers before response headers");
    this.responsePhase = "complete";
    this.completeResponse(false);
    this.send(emptyTrailersResponse("response"));
  }

  /**
   * completeResponse runs once per scheduled request: token metrics and ResponseComplete
   * plugins, also when the stream ends early (aborted), so per-request plugin state is always
   * released.
   */
  private completeResponse(aborted: boolean): void {
    if (this.completed || !this.decision) return;
    this.completed = true;
    this.decision.release?.();
    const usage = aborted ? undefined : this.response?.usage?.finish();
    const request = this.decision.request;
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
      targetEndpoints: this.decision.destinations,
      servedEndpoint: this.servedEndpoint,
    };
    const completed: CompletedResponse = { ...base, usage, aborted };
    for (const plugin of this.env.config.responseComplete) {
      try {
        this.timed("ResponseComplete", plugin, () => plugin.responseComplete(completed));
      } catch (e) {
        // The response is already on its way; a failing observer must not fail the stream.
        this.log.error({ plugin: plugin.typedName.name, err: (e as Error).message }, "ResponseComplete plugin failed");
      }
    }
  }
}

/** ResponseState is what the processor knows of the response so far. */
interface ResponseState {
  readonly headers: ReadonlyMap<string, string>;
  readonly status: number | undefined;
  readonly streaming: boolean;
  readonly usage: UsageTracker | undefined;
}
