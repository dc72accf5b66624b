import { create } from "@bufbuild/protobuf";
import {
  type HeaderMap,
  HeaderMapSchema,
  HeaderValueOption_HeaderAppendAction as AppendAction,
} from "../../gen/envoy/config/core/v3/base_pb.js";
import type { HeaderMutation } from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";

/**
 * HeaderList is an HTTP header block as the data plane holds it: lower-case names in order,
 * repeats allowed, pseudo-headers (":method", ":path", ":authority", ":scheme", ":status")
 * first, as Envoy hands them to ext_proc.
 */
export type HeaderList = Array<[name: string, value: string]>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** getHeader returns the first value of a header (name lower-case), or undefined. */
export function getHeader(headers: HeaderList, name: string): string | undefined {
  for (const [k, v] of headers) if (k === name) return v;
  return undefined;
}

/** removeHeader drops every value of a header (name lower-case). */
export function removeHeader(headers: HeaderList, name: string): void {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i]![0] === name) headers.splice(i, 1);
}

/** setHeader replaces every value of a header with one value, keeping the first position. */
export function setHeader(headers: HeaderList, name: string, value: string): void {
  const at = headers.findIndex(([k]) => k === name);
  removeHeader(headers, name);
  if (at === -1) headers.push([name, value]);
  else headers.splice(Math.min(at, headers.length), 0, [name, value]);
}

/** toHeaderMap encodes headers for ext_proc, values in raw_value as current Envoy sends them. */
export function toHeaderMap(headers: HeaderList): HeaderMap {
  return create(HeaderMapSchema, {
    headers: headers.map(([key, value]) => ({ key, rawValue: encoder.encode(value) })),
  });
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) never cross the proxy. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "upgrade",
  "trailer",
  "proxy-authenticate",
  "proxy-authorization",
]);

/** isHopByHop tells whether a header is connection-specific. */
export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name);
}

/** toNodeHeaders turns a header list into Node's outgoing form, without pseudo and hop-by-hop headers. */
export function toNodeHeaders(headers: HeaderList): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of headers) {
    if (k.startsWith(":") || isHopByHop(k)) continue;
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** fromRawHeaders reads Node's rawHeaders ([name, value, ...]) into a header list. */
export function fromRawHeaders(raw: readonly string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const BAD_VALUE = /[\0\r\n]/;

/** MutationDirection decides which pseudo-headers a processor may change. */
export type MutationDirection = "request" | "response" | "trailers";

/**
 * mayMutate applies Envoy's default mutation rules: system headers (":"-prefixed, host) and
 * x-envoy-* are left alone, except :path on requests and :status on responses. Disallowed
 * changes are ignored, as Envoy ignores them.
 */
function mayMutate(name: string, direction: MutationDirection): boolean {
  if (name === "host" || name.startsWith("x-envoy-")) return false;
  if (!name.startsWith(":")) return true;
  return (direction === "request" && name === ":path") || (direction === "response" && name === ":status");
}

/** MutationResult tells what applying a mutation changed; `error` is an invalid mutation. */
export interface MutationResult {
  readonly changed: string[];
  readonly error?: string;
}

/**
 * applyHeaderMutation applies an ext_proc HeaderMutation in place: removals first, then sets.
 * A set without append/append_action overwrites (as Envoy's ext_proc does); an empty value
 * without keep_empty_value removes the header. An invalid name or value is an error (Envoy
 * fails the request), and nothing is applied.
 */
export function applyHeaderMutation(
  headers: HeaderList,
  mutation: HeaderMutation | undefined,
  direction: MutationDirection,
): MutationResult {
  if (!mutation) return { changed: [] };
  const sets: {
    key: string;
    value: string;
    action: "overwrite" | "append" | "add-if-absent" | "overwrite-if-exists";
    keepEmpty: boolean;
  }[] = [];
  for (const option of mutation.setHeaders) {
    const h = option.header;
    if (!h) continue;
    const key = h.key.toLowerCase();
    if (h.value !== "" && h.rawValue.length > 0)
      return { changed: [], error: `header ${key} has both value and raw_value` };
    const value = h.rawValue.length > 0 ? decoder.decode(h.rawValue) : h.value;
    if (!(TOKEN.test(key) || (key.startsWith(":") && TOKEN.test(key.slice(1)))))
      return { changed: [], error: `invalid header name ${JSON.stringify(h.key)}` };
    if (BAD_VALUE.test(value)) return { changed: [], error: `invalid value for header ${key}` };
    if (key === ":status" && direction === "response" && !/^[2-5]\d\d$/.test(value))
      return { changed: [], error: `invalid :status ${JSON.stringify(value)}` };
    let action: (typeof sets)[number]["action"] = "overwrite";
    if (option.append === true) action = "append";
    else if (option.appendAction === AppendAction.ADD_IF_ABSENT) action = "add-if-absent";
    else if (option.appendAction === AppendAction.OVERWRITE_IF_EXISTS) action = "overwrite-if-exists";
    sets.push({ key, value, action, keepEmpty: option.keepEmptyValue });
  }
  const changed: string[] = [];
  for (const raw of mutation.removeHeaders) {
    const key = raw.toLowerCase();
    if (key.startsWith(":") || !mayMutate(key, direction)) continue;
    if (getHeader(headers, key) !== undefined) changed.push(key);
    removeHeader(headers, key);
  }
  for (const { key, value, action, keepEmpty } of sets) {
    if (!mayMutate(key, direction)) continue;
    const exists = getHeader(headers, key) !== undefined;
    if ((action === "add-if-absent" && exists) || (action === "overwrite-if-exists" && !exists)) continue;
    if (value === "" && !keepEmpty) {
      // Envoy drops empty values unless keep_empty_value; an overwrite still clears the old one.
      if (action !== "append" && exists) {
        removeHeader(headers, key);
        changed.push(key);
      }
      continue;
    }
    changed.push(key);
    if (action === "append") headers.push([key, value]);
    else setHeader(headers, key, value);
  }
  return { changed };
}
