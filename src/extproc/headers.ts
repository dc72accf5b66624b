import type { HeaderMap, HeaderValueOption } from "../gen/envoy/config/core/v3/base_pb.js";
import type { HeaderMutation } from "../gen/envoy/service/ext_proc/v3/external_processor_pb.js";

const utf8 = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/**
 * readHeaderMap turns Envoy's header list into a map keyed by lower-case name. The value is
 * raw_value when non-empty, else value (Envoy sends raw_value when
 * envoy.reloadable_features.send_header_raw_value is on). A repeated key keeps the last value,
 * as GIE's BBR does.
 */
export function readHeaderMap(map: HeaderMap | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!map) return out;
  for (const h of map.headers) {
    const value = h.rawValue.length > 0 ? utf8.decode(h.rawValue) : h.value;
    out.set(h.key.toLowerCase(), value);
  }
  return out;
}

/** HeaderSet is one header to set, with the key spelled as the plugin wrote it. */
export interface HeaderSet {
  readonly key: string;
  readonly value: string;
}

/**
 * buildHeaderMutation encodes header sets as raw_value only (Envoy rejects an option with both
 * value and raw_value) and leaves append/append_action unset, which Envoy's ext_proc treats as
 * overwrite.
 */
export function buildHeaderMutation(
  sets: Iterable<HeaderSet>,
  removes: Iterable<string>,
  /** last is one more set after `sets` (the lifecycle's Content-Length), without copying them. */
  last?: HeaderSet,
): HeaderMutation {
  const setHeaders: HeaderValueOption[] = [];
  for (const set of sets) setHeaders.push(headerValueOption(set));
  if (last) setHeaders.push(headerValueOption(last));
  return { $typeName: "envoy.service.ext_proc.v3.HeaderMutation", setHeaders, removeHeaders: [...removes] };
}

/**
 * headerValueOption is the message create(HeaderValueOptionSchema, …) builds, written as a
 * literal: on the hot path create()'s reflective copy was a measurable share of the garbage.
 * (The encoder's property test and the protocol tests compare these with create()'s messages.)
 */
function headerValueOption({ key, value }: HeaderSet): HeaderValueOption {
  return {
    $typeName: "envoy.config.core.v3.HeaderValueOption",
    header: { $typeName: "envoy.config.core.v3.HeaderValue", key, value: "", rawValue: encoder.encode(value) },
    appendAction: 0,
    keepEmptyValue: false,
  };
}
