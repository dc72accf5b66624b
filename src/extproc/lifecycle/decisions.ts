import type { JsonObject } from "@bufbuild/protobuf";
import type { Logger } from "../../common/logger.js";
import type { RequestError } from "../../common/request-error.js";
import type { Result } from "../../common/result.js";
import type { Metadata } from "../../gen/envoy/config/core/v3/base_pb.js";
import type { HeaderSet } from "../headers.js";
import type { BodyMode } from "../phases.js";

// What a product (BBR, the EPP) tells the shared stream lifecycle. The lifecycle owns the
// ext_proc protocol: phases, body modes, buffering limits, Content-Length, chunking, immediate
// responses, outcomes. A product supplies only decisions, through StreamDecisions.

/** HeaderChanges are the header sets and removals of one answer, in the order they were made. */
export interface HeaderChanges {
  readonly sets: readonly HeaderSet[];
  readonly removes: readonly string[];
}

/** NO_HEADER_CHANGES changes nothing. */
export const NO_HEADER_CHANGES: HeaderChanges = { sets: [], removes: [] };

/** Forward is the decision to send a request on, changed as it says. */
export interface Forward {
  readonly headers: HeaderChanges;
  /**
   * body is what goes upstream: the received bytes, or new ones when bodyMutated. An unchanged
   * body may be given as the chunks it arrived in, so it is streamed on without being joined.
   */
  readonly body: Uint8Array | readonly Uint8Array[];
  readonly bodyMutated: boolean;
  /** dynamicMetadata travels with the answer that carries the headers (e.g. envoy.lb). */
  readonly dynamicMetadata?: JsonObject | undefined;
  /** abandon gives back what the decision holds when the stream ends before it is sent. */
  readonly abandon?: (() => void) | undefined;
}

/** HeadersOnly is the decision for a request whose body is not inspected (none, or not yet). */
export interface HeadersOnly {
  readonly headers: HeaderChanges;
  readonly dynamicMetadata?: JsonObject | undefined;
}

/** ResponseForward is the decision on a response body held whole. */
export interface ResponseForward {
  readonly headers: HeaderChanges;
  readonly body: Uint8Array;
  readonly bodyMutated: boolean;
}

/** Decided is a decision or the HTTP error to answer instead; a promise when it waits. */
export type Decided<T> = Result<T, RequestError> | Promise<Result<T, RequestError>>;

/** StreamOutcome is how a stream's request ended, for the requests metric. */
export type StreamOutcome = "success" | "rejected" | "cancelled" | "failed";

/** RequestStart is what the decisions learn when a request begins. */
export interface RequestStart {
  /** headers are keyed by lower-case name; empty when Envoy skipped them. */
  readonly headers: Map<string, string>;
  /** headersSkipped: the body came first (request_header_mode SKIP). */
  readonly headersSkipped: boolean;
  /** bodyMode is how Envoy sends this request's body. */
  readonly bodyMode: BodyMode;
  /** metadata is the metadata_context of the message that started the request. */
  readonly metadata: Metadata | undefined;
}

/** ResponseStart is what the decisions learn when the response begins. */
export interface ResponseStart {
  readonly headers: Map<string, string>;
  /** headersSkipped: the body came first (response_header_mode SKIP). */
  readonly headersSkipped: boolean;
  readonly bodyMode: BodyMode;
}

/**
 * StreamDecisions are one stream's product decisions. Methods may throw a StreamError (the
 * stream fails with its gRPC status) or, in response hooks, a RequestError (answered as an
 * HTTP error); anything else fails the stream with Internal.
 */
export interface StreamDecisions {
  /** logger is the request's logger (with its request id once known). */
  logger(): Logger;
  /** onMetadata hears each message's metadata_context (e.g. the endpoint Envoy served). */
  onMetadata?(metadata: Metadata): void;

  /** startRequest begins the request; throwing a StreamError refuses a mode the product cannot serve. */
  startRequest(start: RequestStart): void;
  /**
   * decideWithoutBody answers a request whose body will not be inspected: it ended with its
   * headers, the body mode is NONE, or a streamed mode needs the headers answered first.
   */
  decideWithoutBody(): Result<HeadersOnly, RequestError>;
  /** appendRequestBody receives each request body chunk (the lifecycle enforces the size limit). */
  appendRequestBody(chunk: Uint8Array): void;
  /** decideRequest decides on the complete request body. */
  decideRequest(): Decided<Forward>;
  /** requestForwarded hears that the decision was sent. */
  requestForwarded?(forward: Forward): void;

  /** startResponse begins the response. */
  startResponse(start: ResponseStart): void;
  /** holdsResponseBody tells whether the response body is to be held whole for responseBody. */
  holdsResponseBody(): boolean;
  /** responseHeaders runs the product's response-header logic. */
  responseHeaders(endOfStream: boolean): void | Promise<void>;
  /** responseHeaderChanges is what the response-headers answer changes (asked when it is sent). */
  responseHeaderChanges(): HeaderChanges;
  /** responseChunk sees each response chunk that streams through (not held). */
  responseChunk(chunk: Uint8Array, endOfStream: boolean): void | Promise<void>;
  /** responseBody decides on a response body held whole. */
  responseBody(chunks: readonly Uint8Array[]): ResponseForward | Promise<ResponseForward>;
  /** responseEnded runs once when the response is complete or the stream ends first (aborted). */
  responseEnded?(aborted: boolean): void;

  /** outcome records how the request ended (once per stream). */
  outcome(outcome: StreamOutcome, code: string): void;
  /** streamEnded releases what the stream holds; cancelled when it ended before its answer. */
  streamEnded(cancelled: boolean): void;
}
