import { methodGuard } from "../../common/method-guard.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { BufferedResponse, MutableRequest, RequestView, ResponseView } from "./inference-message.js";

// Extension points of the BBR request and response chains. A plugin implements one or more by
// having the method; the chain calls them in config order. Every method may return a promise;
// throwing (or rejecting with) a RequestError answers the HTTP request with that error's status,
// any other error fails the ext_proc stream (Envoy then applies failure_mode_allow).

/**
 * MetadataExtractor reads the request (headers, body) and writes headers and CycleState. It
 * never changes the body; the type it receives has no body setters.
 */
export interface MetadataExtractor extends Plugin {
  extractMetadata(request: RequestView): void | Promise<void>;
}

/**
 * ModelSelector chooses the model. It may rewrite the body's `model` field and should set the
 * model header (X-Gateway-Model-Name) to what it chose.
 */
export interface ModelSelector extends Plugin {
  selectModel(request: MutableRequest): void | Promise<void>;
}

/** ResponseHeadersProcessor sees response headers as they arrive; it can set or remove headers. */
export interface ResponseHeadersProcessor extends Plugin {
  processResponseHeaders(response: ResponseView): void | Promise<void>;
}

/**
 * ResponseChunkProcessor observes each response body chunk as it streams through (e.g. to read
 * token usage from SSE events). It cannot change the chunk, so streaming is never held back.
 */
export interface ResponseChunkProcessor extends Plugin {
  processResponseChunk(response: ResponseView, chunk: Uint8Array, endOfStream: boolean): void | Promise<void>;
}

/**
 * ResponseBodyProcessor needs the whole response body. Its presence makes BBR buffer the
 * response (bounded), so use it only when the whole body is really needed.
 */
export interface ResponseBodyProcessor extends Plugin {
  processResponseBody(response: BufferedResponse): void | Promise<void>;
}

/** ExtensionPoint names an extension point (metric labels, listings, config messages). */
export type ExtensionPoint =
  | "MetadataExtractor"
  | "ModelSelector"
  | "ResponseHeadersProcessor"
  | "ResponseChunkProcessor"
  | "ResponseBodyProcessor";

/** REQUEST_EXTENSION_POINTS may appear in the request chain. */
export const REQUEST_EXTENSION_POINTS: readonly ExtensionPoint[] = ["MetadataExtractor", "ModelSelector"];

/** RESPONSE_EXTENSION_POINTS may appear in the response chain. */
export const RESPONSE_EXTENSION_POINTS: readonly ExtensionPoint[] = [
  "ResponseHeadersProcessor",
  "ResponseChunkProcessor",
  "ResponseBodyProcessor",
];

/** isMetadataExtractor tells whether the plugin implements MetadataExtractor. */
export const isMetadataExtractor = methodGuard<Plugin, MetadataExtractor>("extractMetadata");

/** isModelSelector tells whether the plugin implements ModelSelector. */
export const isModelSelector = methodGuard<Plugin, ModelSelector>("selectModel");

/** isResponseHeadersProcessor tells whether the plugin implements ResponseHeadersProcessor. */
export const isResponseHeadersProcessor = methodGuard<Plugin, ResponseHeadersProcessor>("processResponseHeaders");

/** isResponseChunkProcessor tells whether the plugin implements ResponseChunkProcessor. */
export const isResponseChunkProcessor = methodGuard<Plugin, ResponseChunkProcessor>("processResponseChunk");

/** isResponseBodyProcessor tells whether the plugin implements ResponseBodyProcessor. */
export const isResponseBodyProcessor = methodGuard<Plugin, ResponseBodyProcessor>("processResponseBody");

/** extensionPointsOf lists the extension points a plugin instance implements. */
export function extensionPointsOf(p: Plugin): ExtensionPoint[] {
  const points: ExtensionPoint[] = [];
  if (isMetadataExtractor(p)) points.push("MetadataExtractor");
  if (isModelSelector(p)) points.push("ModelSelector");
  if (isResponseHeadersProcessor(p)) points.push("ResponseHeadersProcessor");
  if (isResponseChunkProcessor(p)) points.push("ResponseChunkProcessor");
  if (isResponseBodyProcessor(p)) points.push("ResponseBodyProcessor");
  return points;
}
