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

function hasMethod(plugin: Plugin, method: string): boolean {
  return typeof (plugin as unknown as Record<string, unknown>)[method] === "function";
}

/** isMetadataExtractor tells whether the plugin implements MetadataExtractor. */
export function isMetadataExtractor(p: Plugin): p is MetadataExtractor {
  return hasMethod(p, "extractMetadata");
}

/** isModelSelector tells whether the plugin implements ModelSelector. */
export function isModelSelector(p: Plugin): p is ModelSelector {
  return hasMethod(p, "selectModel");
}

/** isResponseHeadersProcessor tells whether the plugin implements ResponseHeadersProcessor. */
export function isResponseHeadersProcessor(p: Plugin): p is ResponseHeadersProcessor {
  return hasMethod(p, "processResponseHeaders");
}

/** isResponseChunkProcessor tells whether the plugin implements ResponseChunkProcessor. */
export function isResponseChunkProcessor(p: Plugin): p is ResponseChunkProcessor {
  return hasMethod(p, "processResponseChunk");
}

/** isResponseBodyProcessor tells whether the plugin implements ResponseBodyProcessor. */
export function isResponseBodyProcessor(p: Plugin): p is ResponseBodyProcessor {
  return hasMethod(p, "processResponseBody");
}

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
