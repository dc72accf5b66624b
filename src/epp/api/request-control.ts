import type { Result } from "../../common/result.js";
import { methodGuard } from "../../common/method-guard.js";
import type { RequestError } from "../../common/request-error.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { Endpoint } from "./endpoint.js";
import type { LlmRequest, ParsedBody } from "./request.js";
import type { SchedulingResult } from "./scheduling.js";

// Request-control extension points, around scheduling. All are synchronous and must not throw
// for bad input (a throw fails the ext_proc stream). Response hooks observe; only
// ResponseHeaderProcessor may change something (response headers).

/**
 * RequestParser turns a request body into a ParsedBody, or a RequestError (400) for a body it
 * cannot read. `path` is the request :path, which decides the API kind.
 */
export interface RequestParser extends Plugin {
  parse(path: string, body: Uint8Array, headers: ReadonlyMap<string, string>): Result<ParsedBody, RequestError>;
}

/**
 * DataProducer computes per-request data before scheduling (e.g. prefix-cache matches) and
 * stores it in request.state under the keys it lists in `produces`.
 */
export interface DataProducer extends Plugin {
  readonly produces: readonly string[];
  prepareRequestData(request: LlmRequest, endpoints: readonly Endpoint[]): void;
}

/**
 * DataConsumer lists data keys a plugin reads. For a key no configured plugin produces, the
 * loader creates the key's default producer, with parameters from defaultProducerParameters.
 */
export interface DataConsumer extends Plugin {
  readonly consumes: readonly string[];
  defaultProducerParameters?(key: string): unknown;
}

/** PreRequest runs after scheduling, before the request is forwarded; `target` is the primary endpoint. */
export interface PreRequest extends Plugin {
  preRequest(request: LlmRequest, result: SchedulingResult, target: Endpoint): void;
}

/** Usage is the token accounting a model server reports in its final response or SSE event. */
export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number | undefined;
}

/** ResponseView is what the response hooks see of a response. */
export interface ResponseView {
  readonly request: LlmRequest;
  /** status is the upstream :status (undefined when response headers were skipped). */
  readonly status: number | undefined;
  readonly headers: ReadonlyMap<string, string>;
  /** streaming is true for text/event-stream responses. */
  readonly streaming: boolean;
  /** targetEndpoints is the destination list the EPP sent, primary first. */
  readonly targetEndpoints: readonly string[];
  /** servedEndpoint is envoy.lb x-gateway-destination-endpoint-served, when the data plane reports it. */
  readonly servedEndpoint: string | undefined;
}

/** MutableResponseHeaders is the response header view a ResponseHeaderProcessor may change. */
export interface MutableResponseHeaders extends ResponseView {
  setHeader(name: string, value: string): void;
}

/** ResponseHeaderProcessor sees the response headers and may set response headers. */
export interface ResponseHeaderProcessor extends Plugin {
  responseHeader(response: MutableResponseHeaders): void;
}

/** ResponseBodyProcessor observes each response body chunk as it streams through (never changes it). */
export interface ResponseBodyProcessor extends Plugin {
  responseBody(response: ResponseView, chunk: Uint8Array, endOfStream: boolean): void;
}

/** CompletedResponse is a finished response with its usage, when the server reported one. */
export interface CompletedResponse extends ResponseView {
  readonly usage: Usage | undefined;
  /** aborted is true when the stream ended before the response did (client gone, upstream reset). */
  readonly aborted: boolean;
}

/** ResponseCompleteProcessor runs once per scheduled request, when its response ends or aborts. */
export interface ResponseCompleteProcessor extends Plugin {
  responseComplete(response: CompletedResponse): void;
}

/** isRequestParser tells whether a plugin implements RequestParser. */
export function isRequestParser(p: Plugin): p is RequestParser {
  return typeof (p as Partial<RequestParser>).parse === "function";
}

/** isDataProducer tells whether a plugin implements DataProducer. */
export function isDataProducer(p: Plugin): p is DataProducer {
  const d = p as Partial<DataProducer>;
  return typeof d.prepareRequestData === "function" && Array.isArray(d.produces);
}

/** isDataConsumer tells whether a plugin declares consumed data keys. */
export function isDataConsumer(p: Plugin): p is DataConsumer {
  return Array.isArray((p as Partial<DataConsumer>).consumes);
}

/** isPreRequest tells whether a plugin implements PreRequest. */
export const isPreRequest = methodGuard<Plugin, PreRequest>("preRequest");

/** isResponseHeaderProcessor tells whether a plugin implements ResponseHeaderProcessor. */
export const isResponseHeaderProcessor = methodGuard<Plugin, ResponseHeaderProcessor>("responseHeader");

/** isResponseBodyProcessor tells whether a plugin implements ResponseBodyProcessor. */
export const isResponseBodyProcessor = methodGuard<Plugin, ResponseBodyProcessor>("responseBody");

/** isResponseCompleteProcessor tells whether a plugin implements ResponseCompleteProcessor. */
export const isResponseCompleteProcessor = methodGuard<Plugin, ResponseCompleteProcessor>("responseComplete");
