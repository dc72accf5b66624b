import { isRequestError, RequestError } from "../../common/request-error.js";
import { isPromise } from "../../common/promise.js";
import type { Result } from "../../common/result.js";
import type { Metadata } from "../../gen/envoy/config/core/v3/base_pb.js";
import type {
  HttpBody,
  HttpHeaders,
  ProcessingRequest,
  ProcessingResponse,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { bodyLength } from "../chunking.js";
import { buildHeaderMutation, type HeaderSet, readHeaderMap } from "../headers.js";
import { type BodyMode, bodyModesOf } from "../phases.js";
import {
  bufferedBodyResponse,
  emptyBodyResponse,
  emptyHeadersResponse,
  emptyTrailersResponse,
  immediateResponse,
  mutatingHeadersResponse,
  type Phase,
  streamedBodyResponses,
  withDynamicMetadata,
} from "../responses.js";
import { type ResponseSink, StreamError, type StreamHandler } from "../transport/stream.js";
import type { Forward, HeaderChanges, HeadersOnly, ResponseForward, StreamDecisions, StreamOutcome } from "./decisions.js";

/** ErrorAnswer is the rendered HTTP error: extra headers (content-type first) and the body. */
export interface ErrorAnswer {
  readonly headers: readonly HeaderSet[];
  readonly body: Uint8Array;
}

/** LifecycleSettings are what a stream runs with, fixed for its life. */
export interface LifecycleSettings {
  /** Largest request body accepted; larger is answered 413 without holding more. */
  readonly maxRequestBodyBytes: number;
  /** Largest response body held for the decisions; beyond it the body streams on unprocessed. */
  readonly maxResponseHoldBytes: number;
  /** Body mode assumed when Envoy sends no protocol_config: FULL_DUPLEX_STREAMED if true, else BUFFERED. */
  readonly streamingByDefault: boolean;
  /** detailsPrefix starts ImmediateResponse.details ("bbr" gives "bbr_request_body_too_large"). */
  readonly detailsPrefix: string;
  /** renderError turns a request error into the HTTP answer's headers and body (e.g. OpenAI's shape). */
  readonly renderError: (error: RequestError) => ErrorAnswer;
}

type RequestPhase = "awaiting-headers" | "receiving-body" | "passthrough-body" | "complete";
type ResponsePhase = "awaiting-headers" | "streaming-body" | "holding-body" | "complete";

const CONTENT_LENGTH = "Content-Length";

/**
 * StreamLifecycle runs the ext_proc protocol of one stream (one HTTP request) for any product:
 * it reads the body modes from protocol_config, defers the request headers answer until the
 * body is decided, holds the body up to its limit (413 beyond), lets trailers end a body,
 * passes the response through (holding it only when the decisions ask), answers errors as
 * ImmediateResponses and ends the stream once. What the answers say is the decisions' business.
 */
export class StreamLifecycle implements StreamHandler {
  private requestMode: BodyMode | undefined;
  private responseMode: BodyMode = "duplex";
  private observeOnly = false;
  private ended = false;
  private outcomeRecorded = false;
  private requestPhase: RequestPhase = "awaiting-headers";
  private responsePhase: ResponsePhase = "awaiting-headers";
  private requestHeadersSkipped = false;
  private responseHeadersSkipped = false;
  /** Envoy said end_of_stream on the request (headers or body): no trailers may follow. */
  private requestEndSeen = false;
  private requestBytes = 0;
  private heldResponse: Uint8Array[] = [];
  private heldResponseBytes = 0;
  private responseEndedCalled = false;

  constructor(
    private readonly settings: LifecycleSettings,
    private readonly decisions: StreamDecisions,
    private readonly sink: ResponseSink,
  ) {}

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
    this.endResponse(true);
    this.end();
  }

  onCancel(): void {
    if (this.ended) return;
    this.recordOutcome("cancelled", "none");
    this.endResponse(true);
    this.ended = true;
    this.release(true);
  }

  private failed(e: unknown): never {
    this.recordOutcome("failed", "none");
    this.endResponse(true);
    this.ended = true;
    this.release(true);
    this.decisions.logger().error({ err: e instanceof Error ? e.message : String(e) }, "ext_proc stream failed");
    throw e;
  }

  private dispatch(message: ProcessingRequest): void | Promise<void> {
    if (this.requestMode === undefined) {
      const modes = bodyModesOf(message, this.settings.streamingByDefault);
      this.requestMode = modes.request;
      this.responseMode = modes.response;
    }
    // Envoy's observability mode forbids answers; the decisions still run for metrics and logs.
    if (message.observabilityMode) this.observeOnly = true;
    const metadata = message.metadataContext;
    if (metadata && this.decisions.onMetadata) this.decisions.onMetadata(metadata);
    // A switch, not a table of bound handlers: nothing is allocated per stream to dispatch.
    const r = message.request;
    switch (r.case) {
      case "requestHeaders":
        return this.onRequestHeaders(r.value, metadata);
      case "requestBody":
        return this.onRequestBody(r.value, metadata);
      case "requestTrailers":
        return this.onRequestTrailers();
      case "responseHeaders":
        return this.onResponseHeaders(r.value);
      case "responseBody":
        return this.onResponseBody(r.value);
      case "responseTrailers":
        return this.onResponseTrailers();
      default:
        throw new StreamError("InvalidArgument", "ProcessingRequest carries no known request message");
    }
  }

  private send(response: ProcessingResponse): void {
    if (!this.observeOnly && !this.ended) this.sink.send(response);
  }

  private end(): void {
    this.ended = true;
    this.release(false);
    this.sink.close();
  }

  private release(cancelled: boolean): void {
    this.heldResponse = [];
    this.decisions.streamEnded(cancelled);
  }

  private recordOutcome(outcome: StreamOutcome, code: string): void {
    if (this.outcomeRecorded) return;
    this.outcomeRecorded = true;
    this.decisions.outcome(outcome, code);
  }

  private endResponse(aborted: boolean): void {
    if (this.responseEndedCalled) return;
    this.responseEndedCalled = true;
    this.decisions.responseEnded?.(aborted);
  }

  /** reject answers the HTTP request with an error and ends the stream. */
  private reject(error: RequestError): void {
    this.recordOutcome("rejected", String(error.httpStatus));
    this.decisions.logger().debug({ status: error.httpStatus, reason: error.reason }, "request rejected");
    const answer = this.settings.renderError(error);
    this.send(
      immediateResponse(error.httpStatus, answer.headers, answer.body, `${this.settings.detailsPrefix}_${error.reason}`),
    );
    this.endResponse(true);
    this.end();
  }

  /** rejectOrThrow answers a RequestError; anything else fails the stream. */
  private rejectOrThrow(e: unknown): void {
    if (isRequestError(e)) this.reject(e);
    else throw e;
  }

  // ---- request path ----

  private onRequestHeaders(h: HttpHeaders, metadata: Metadata | undefined): void {
    if (this.requestPhase !== "awaiting-headers") {
      throw new StreamError("InvalidArgument", "request headers arrived twice");
    }
    const mode = this.requestMode!;
    this.decisions.startRequest({
      headers: readHeaderMap(h.headers),
      headersSkipped: false,
      bodyMode: mode,
      metadata,
    });
    this.requestEndSeen = h.endOfStream;
    if (h.endOfStream || mode === "none" || mode === "passthrough") {
      // No body to decide on: answer now. In a streamed mode the body still comes and passes.
      this.requestPhase = mode === "passthrough" && !h.endOfStream ? "passthrough-body" : "complete";
      const decided = this.decisions.decideWithoutBody();
      if (!decided.ok) {
        this.reject(decided.error);
        return;
      }
      this.send(headersOnlyResponse(decided.value));
      if (this.requestPhase === "complete") this.recordOutcome("success", "continue");
      return;
    }
    this.requestPhase = "receiving-body";
    // BUFFERED needs one answer per message; the body answer carries the header changes.
    if (mode === "buffered") this.send(emptyHeadersResponse("request"));
  }

  private onRequestBody(b: HttpBody, metadata: Metadata | undefined): void | Promise<void> {
    if (b.endOfStream) this.requestEndSeen = true;
    if (this.requestPhase === "passthrough-body") {
      this.send(emptyBodyResponse("request"));
      if (b.endOfStream) {
        this.requestPhase = "complete";
        this.recordOutcome("success", "continue");
      }
      return;
    }
    if (this.requestPhase === "awaiting-headers") {
      // request_header_mode SKIP: the body is all there is, and header changes can only travel
      // with a BUFFERED body answer.
      this.requestHeadersSkipped = true;
      this.decisions.startRequest({
        headers: new Map(),
        headersSkipped: true,
        bodyMode: this.requestMode!,
        metadata,
      });
      this.requestPhase = "receiving-body";
    }
    if (this.requestPhase !== "receiving-body") {
      throw new StreamError("InvalidArgument", "request body after the request ended");
    }
    const limit = this.settings.maxRequestBodyBytes;
    if (this.requestBytes + b.body.length > limit) {
      this.reject(
        new RequestError("PayloadTooLarge", `request body exceeds the limit of ${limit} bytes`, {
          reason: "request_body_too_large",
        }),
      );
      return;
    }
    this.requestBytes += b.body.length;
    this.decisions.appendRequestBody(b.body);
    // BUFFERED sends the whole body in one message; end_of_stream is false when trailers follow.
    if (b.endOfStream || this.requestMode === "buffered") return this.completeRequest(b.endOfStream);
  }

  private onRequestTrailers(): void | Promise<void> {
    if (this.requestPhase === "awaiting-headers") {
      throw new StreamError("InvalidArgument", "request trailers before request headers");
    }
    if (this.requestEndSeen || this.responsePhase !== "awaiting-headers") {
      throw new StreamError("InvalidArgument", "request trailers after the request ended");
    }
    if (this.requestPhase === "receiving-body") {
      // Trailers end the body (its last chunk had no end_of_stream): flush headers and body
      // now, then answer the trailers. GIE waits for a body end that never comes and hangs.
      const pending = this.completeRequest(false);
      if (pending) return pending.then(() => this.send(emptyTrailersResponse("request")));
    }
    this.requestPhase = "complete";
    this.send(emptyTrailersResponse("request"));
  }

  private completeRequest(endOfStream: boolean): void | Promise<void> {
    this.requestPhase = "complete";
    return this.decideThen(
      () => this.decisions.decideRequest(),
      (decided) => this.onRequestDecided(decided, endOfStream),
    );
  }

  private onRequestDecided(decided: Result<Forward, RequestError>, endOfStream: boolean): void {
    if (this.ended) {
      // The stream went away while the decision was made: give back what it holds.
      if (decided.ok) decided.value.abandon?.();
      return;
    }
    if (!decided.ok) {
      this.reject(decided.error);
      return;
    }
    this.forwardRequest(decided.value, endOfStream);
  }

  private forwardRequest(forward: Forward, endOfStream: boolean): void {
    const { body, bodyMutated, dynamicMetadata } = forward;
    const { sets, removes } = forward.headers;
    if (this.requestMode === "duplex") {
      // Envoy may drop this in full-duplex mode (envoy#39035), but a processor-set length that
      // matches the body is what HTTP/1 upstreams without chunking need.
      if (!this.requestHeadersSkipped) {
        const mutation = buildHeaderMutation(sets, removes, contentLength(body));
        const headers = mutatingHeadersResponse("request", mutation);
        this.send(dynamicMetadata ? withDynamicMetadata(headers, dynamicMetadata) : headers);
      }
      for (const piece of streamedBodyResponses("request", body, endOfStream)) this.send(piece);
    } else {
      const mutation = buildHeaderMutation(sets, removes, bodyMutated ? contentLength(body) : undefined);
      const answer = bufferedBodyResponse("request", mutation, bodyMutated ? joined(body) : undefined);
      this.send(dynamicMetadata ? withDynamicMetadata(answer, dynamicMetadata) : answer);
    }
    this.recordOutcome("success", "continue");
    this.decisions.requestForwarded?.(forward);
  }

  // ---- response path ----

  private checkResponseMayStart(): void {
    if (this.requestPhase === "awaiting-headers" || this.requestPhase === "receiving-body") {
      throw new StreamError("FailedPrecondition", "response before the request was complete");
    }
  }

  private onResponseHeaders(h: HttpHeaders): void | Promise<void> {
    this.checkResponseMayStart();
    if (this.responsePhase !== "awaiting-headers") {
      throw new StreamError("InvalidArgument", "response headers arrived twice");
    }
    this.decisions.startResponse({ headers: readHeaderMap(h.headers), headersSkipped: false, bodyMode: this.responseMode });
    const holds = !h.endOfStream && this.holdsResponseBody();
    const answer = () => {
      if (this.ended) return;
      if (h.endOfStream || this.responseMode === "none") {
        this.responsePhase = "complete";
        this.send(this.responseHeadersAnswer());
        this.endResponse(false);
      } else if (holds) {
        this.responsePhase = "holding-body";
        // BUFFERED needs one answer per message; the body answer carries later changes.
        if (this.responseMode === "buffered") this.send(this.responseHeadersAnswer());
      } else {
        this.responsePhase = "streaming-body";
        this.send(this.responseHeadersAnswer());
      }
    };
    return this.decideThen(() => this.decisions.responseHeaders(h.endOfStream), answer);
  }

  private holdsResponseBody(): boolean {
    return (this.responseMode === "duplex" || this.responseMode === "buffered") && this.decisions.holdsResponseBody();
  }

  /**
   * decideThen runs a decision (maybe asynchronous), then acts on it; a RequestError thrown on
   * the way is answered, anything else fails the stream. It stays synchronous for synchronous
   * decisions, so the common path costs no microtask.
   */
  private decideThen<T>(decide: () => T | Promise<T>, act: (value: T) => void): void | Promise<void> {
    let decided: T | Promise<T>;
    try {
      decided = decide();
    } catch (e) {
      this.rejectOrThrow(e);
      return;
    }
    if (isPromise(decided)) return decided.then(act, (e: unknown) => this.rejectOrThrow(e));
    act(decided);
  }

  private responseHeadersAnswer(): ProcessingResponse {
    const { sets, removes } = this.decisions.responseHeaderChanges();
    if (sets.length === 0 && removes.length === 0) return emptyHeadersResponse("response");
    return mutatingHeadersResponse("response", buildHeaderMutation(sets, removes));
  }

  private onResponseBody(b: HttpBody): void | Promise<void> {
    if (this.responsePhase === "awaiting-headers") {
      // response_header_mode SKIP: the body starts the response.
      this.checkResponseMayStart();
      this.responseHeadersSkipped = true;
      this.decisions.startResponse({ headers: new Map(), headersSkipped: true, bodyMode: this.responseMode });
      this.responsePhase = this.holdsResponseBody() ? "holding-body" : "streaming-body";
    }
    if (this.responsePhase === "holding-body") return this.holdResponseBody(b);
    if (this.responsePhase !== "streaming-body") {
      throw new StreamError("InvalidArgument", "response body after the response ended");
    }
    return this.streamResponseBody(b.body, b.endOfStream);
  }

  private streamResponseBody(chunk: Uint8Array, endOfStream: boolean): void | Promise<void> {
    const forward = () => {
      if (this.ended) return;
      if (this.responseMode === "duplex") {
        for (const piece of streamedBodyResponses("response", chunk, endOfStream)) this.send(piece);
      } else {
        this.send(emptyBodyResponse("response"));
      }
      if (endOfStream) {
        this.responsePhase = "complete";
        this.endResponse(false);
      }
    };
    return this.decideThen(() => this.decisions.responseChunk(chunk, endOfStream), forward);
  }

  private holdResponseBody(b: HttpBody): void | Promise<void> {
    const limit = this.settings.maxResponseHoldBytes;
    if (this.heldResponseBytes + b.body.length > limit) {
      // Too large to hold: stream it on unprocessed rather than fail a response upstream
      // already produced.
      this.decisions.logger().warn({ limit }, "response body over the buffer limit; body plugins skipped");
      this.responsePhase = "streaming-body";
      if (this.responseMode === "duplex") {
        if (!this.responseHeadersSkipped) this.send(this.responseHeadersAnswer());
        for (const held of this.heldResponse) {
          for (const piece of streamedBodyResponses("response", held, false)) this.send(piece);
        }
      }
      this.heldResponse = [];
      this.heldResponseBytes = 0;
      return this.streamResponseBody(b.body, b.endOfStream);
    }
    if (b.body.length > 0) this.heldResponse.push(b.body);
    this.heldResponseBytes += b.body.length;
    if (b.endOfStream) return this.completeResponse(true);
    if (this.responseMode === "buffered") this.send(emptyBodyResponse("response"));
  }

  private completeResponse(endOfStream: boolean): void | Promise<void> {
    this.responsePhase = "complete";
    const held = this.heldResponse;
    this.heldResponse = [];
    return this.decideThen(
      () => this.decisions.responseBody(held),
      (forward) => this.forwardResponse(forward, endOfStream),
    );
  }

  private forwardResponse(forward: ResponseForward, endOfStream: boolean): void {
    if (this.ended) return;
    const { body, bodyMutated, headers } = forward;
    if (this.responseMode === "duplex") {
      if (!this.responseHeadersSkipped) this.send(changesResponse("response", headers));
      for (const piece of streamedBodyResponses("response", body, endOfStream)) this.send(piece);
    } else {
      this.send(
        bufferedBodyResponse("response", buildHeaderMutation(headers.sets, headers.removes), bodyMutated ? body : undefined),
      );
    }
    if (endOfStream) this.endResponse(false);
  }

  private onResponseTrailers(): void | Promise<void> {
    if (this.responsePhase === "awaiting-headers") {
      throw new StreamError("InvalidArgument", "response trailers before response headers");
    }
    if (this.responsePhase === "holding-body") {
      const pending = this.completeResponse(false);
      const answer = () => {
        this.endResponse(false);
        this.send(emptyTrailersResponse("response"));
      };
      if (pending) return pending.then(answer);
      answer();
      return;
    }
    this.responsePhase = "complete";
    this.endResponse(false);
    this.send(emptyTrailersResponse("response"));
  }
}

function contentLength(body: Uint8Array | readonly Uint8Array[]): HeaderSet {
  return { key: CONTENT_LENGTH, value: String(bodyLength(body)) };
}

/** headersOnlyResponse answers request headers with a decision's changes and metadata. */
function headersOnlyResponse(decision: HeadersOnly): ProcessingResponse {
  const response = changesResponse("request", decision.headers);
  return decision.dynamicMetadata ? withDynamicMetadata(response, decision.dynamicMetadata) : response;
}

/** changesResponse is `HeadersResponse{}` without changes, else a route-clearing mutation. */
function changesResponse(phase: Phase, changes: HeaderChanges): ProcessingResponse {
  if (changes.sets.length === 0 && changes.removes.length === 0) return emptyHeadersResponse(phase);
  return mutatingHeadersResponse(phase, buildHeaderMutation(changes.sets, changes.removes));
}

/** joined is a body as one buffer (a changed body always is one; chunks only when unchanged). */
function joined(body: Uint8Array | readonly Uint8Array[]): Uint8Array {
  return body instanceof Uint8Array ? body : Buffer.concat(body);
}
