import type { MessageInitShape } from "@bufbuild/protobuf";
import type { MetadataSchema } from "../../src/gen/envoy/config/core/v3/base_pb.js";
import type {
  CommonResponse,
  HeaderMutation,
  ProcessingRequestSchema,
  ProcessingResponse,
  ProtocolConfigurationSchema,
} from "../../src/gen/envoy/service/ext_proc/v3/external_processor_pb.js";

type RequestInit = MessageInitShape<typeof ProcessingRequestSchema>;

/** ExtraFields are the ProcessingRequest fields outside the `request` oneof. */
export interface ExtraFields {
  protocolConfig?: MessageInitShape<typeof ProtocolConfigurationSchema>;
  observabilityMode?: boolean;
  metadataContext?: MessageInitShape<typeof MetadataSchema>;
}
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** HeaderInput lists headers; a value given as {value} uses the plain `value` field instead of raw_value. */
export type HeaderInput = Record<string, string | { value: string } | { raw: string; value: string }>;

function headerMap(headers: HeaderInput) {
  return {
    headers: Object.entries(headers).map(([key, v]) =>
      typeof v === "string"
        ? { key, rawValue: encoder.encode(v) }
        : "raw" in v
          ? { key, rawValue: encoder.encode(v.raw), value: v.value }
          : { key, value: v.value },
    ),
  };
}

/** requestHeaders builds a request_headers message. */
export function requestHeaders(headers: HeaderInput, endOfStream = false, extra: ExtraFields = {}): RequestInit {
  return { request: { case: "requestHeaders", value: { headers: headerMap(headers), endOfStream } }, ...extra } as RequestInit;
}

/** responseHeaders builds a response_headers message. */
export function responseHeaders(headers: HeaderInput, endOfStream = false): RequestInit {
  return { request: { case: "responseHeaders", value: { headers: headerMap(headers), endOfStream } } };
}

function bytes(body: string | Uint8Array): Uint8Array {
  return typeof body === "string" ? encoder.encode(body) : body;
}

/** requestBody builds a request_body message. */
export function requestBody(body: string | Uint8Array, endOfStream: boolean, extra: ExtraFields = {}): RequestInit {
  return { request: { case: "requestBody", value: { body: bytes(body), endOfStream } }, ...extra } as RequestInit;
}

/** responseBody builds a response_body message. */
export function responseBody(body: string | Uint8Array, endOfStream: boolean): RequestInit {
  return { request: { case: "responseBody", value: { body: bytes(body), endOfStream } } };
}

/** requestTrailers builds a request_trailers message. */
export function requestTrailers(trailers: HeaderInput = {}): RequestInit {
  return { request: { case: "requestTrailers", value: { trailers: headerMap(trailers) } } };
}

/** responseTrailers builds a response_trailers message. */
export function responseTrailers(trailers: HeaderInput = {}): RequestInit {
  return { request: { case: "responseTrailers", value: { trailers: headerMap(trailers) } } };
}

/** Mutation is a header mutation as tests compare it: sets in order as [key, value], removes in order. */
export interface Mutation {
  set: [string, string][];
  remove: string[];
}

/**
 * Summary is a ProcessingResponse reduced to what the protocol means, keeping exact header
 * keys, values and body bytes (as text) so tests can compare whole answers with toEqual.
 */
export type Summary =
  | { kind: "requestHeaders" | "responseHeaders"; common: CommonSummary | null }
  | { kind: "requestBody" | "responseBody"; common: CommonSummary | null }
  | { kind: "requestTrailers" | "responseTrailers"; mutation: Mutation | null }
  | { kind: "immediate"; status: number; headers: Mutation | null; body: string; details: string }
  | { kind: "other"; detail: string };

/** CommonSummary is a CommonResponse reduced. */
export interface CommonSummary {
  clearRouteCache: boolean;
  mutation: Mutation | null;
  body?: string;
  streamed?: { body: string; eos: boolean };
}

function summarizeMutation(m: HeaderMutation | undefined): Mutation | null {
  if (!m) return null;
  return {
    set: m.setHeaders.map((o) => {
      // The wire contract: raw_value only, append/append_action unset (Envoy overwrites).
      if (o.header?.value) throw new Error(`header ${o.header.key} uses value instead of raw_value`);
      if (o.append !== undefined || o.appendAction !== 0) throw new Error(`header ${o.header?.key} sets append`);
      return [o.header?.key ?? "", decoder.decode(o.header?.rawValue ?? new Uint8Array())];
    }),
    remove: [...m.removeHeaders],
  };
}

function summarizeCommon(c: CommonResponse | undefined): CommonSummary | null {
  if (!c) return null;
  const out: CommonSummary = { clearRouteCache: c.clearRouteCache, mutation: summarizeMutation(c.headerMutation) };
  const mutation = c.bodyMutation?.mutation;
  if (mutation?.case === "body") out.body = decoder.decode(mutation.value);
  if (mutation?.case === "streamedResponse") out.streamed = { body: decoder.decode(mutation.value.body), eos: mutation.value.endOfStream };
  return out;
}

/** summarize reduces a response for comparison. */
export function summarize(r: ProcessingResponse): Summary {
  const v = r.response;
  switch (v.case) {
    case "requestHeaders":
    case "responseHeaders":
    case "requestBody":
    case "responseBody":
      return { kind: v.case, common: summarizeCommon(v.value.response) };
    case "requestTrailers":
    case "responseTrailers":
      return { kind: v.case, mutation: summarizeMutation(v.value.headerMutation) };
    case "immediateResponse":
      return {
        kind: "immediate",
        status: v.value.status?.code ?? 0,
        headers: summarizeMutation(v.value.headers),
        body: decoder.decode(v.value.body),
        details: v.value.details,
      };
    default:
      return { kind: "other", detail: String(v.case) };
  }
}

/** sortedSets returns a mutation's sets sorted by key (GIE tests sort: order is not significant there). */
export function sortedSets(m: Mutation | null): [string, string][] {
  return [...(m?.set ?? [])].sort((a, b) => a[0].localeCompare(b[0]));
}

/** mutationOf is the header mutation of a headers or body answer, or null. */
export function mutationOf(s: Summary | undefined): Mutation | null {
  return s && "common" in s ? (s.common?.mutation ?? null) : null;
}
