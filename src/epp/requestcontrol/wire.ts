import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Metadata } from "../../gen/envoy/config/core/v3/base_pb.js";

// Names of the Endpoint Picker Protocol (GIE proposal 004) and the control headers the EPP
// reads. Header names are lower-case on the wire.

/** DESTINATION_ENDPOINT is the request header and envoy.lb metadata key carrying "ip:port[,ip:port...]". */
export const DESTINATION_ENDPOINT = "x-gateway-destination-endpoint";
/** LB_NAMESPACE is the dynamic-metadata namespace Envoy's load balancers read. */
export const LB_NAMESPACE = "envoy.lb";
export const SUBSET_HINT_NAMESPACE = "envoy.lb.subset_hint";
export const SUBSET_HINT_KEY = "x-gateway-destination-endpoint-subset";
export const SERVED_ENDPOINT_KEY = "x-gateway-destination-endpoint-served";

export const REQUEST_ID = "x-request-id";
/** Each control header has a GIE name and an llm-d-router name; both are accepted. */
export const OBJECTIVE_HEADERS = ["x-gateway-inference-objective", "x-llm-d-inference-objective"] as const;
export const FAIRNESS_HEADERS = ["x-gateway-inference-fairness-id", "x-llm-d-inference-fairness-id"] as const;
export const MODEL_REWRITE_HEADERS = ["x-gateway-model-name-rewrite", "x-llm-d-model-name-rewrite"] as const;
export const PATH_HEADERS = [":path", "x-original-path", "x-forwarded-path"] as const;
export const DEFAULT_PATH = "/v1/completions";
export const DEFAULT_FAIRNESS_ID = "default-flow";

/** DROPPED_REASON is llm-d-router's response header naming why a request was rejected. */
export const DROPPED_REASON = "x-llm-d-request-dropped-reason";

/** firstHeader returns the first non-empty value among header names. */
export function firstHeader(headers: ReadonlyMap<string, string>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const v = headers.get(name);
    if (v !== undefined && v !== "") return v;
  }
  return undefined;
}

/**
 * readSubsetHint returns the data plane's endpoint subset: undefined when the namespace or key
 * is absent (pick from the whole pool), else the listed entries. A list ("ip:port" strings) is
 * the protocol; a comma-separated string is accepted too. Any other shape yields an empty
 * subset, which the EPP answers with 503 rather than guessing.
 */
export function readSubsetHint(metadata: Metadata | undefined): string[] | undefined {
  const ns = metadata?.filterMetadata[SUBSET_HINT_NAMESPACE];
  if (!ns || !(SUBSET_HINT_KEY in ns)) return undefined;
  const value: JsonValue | undefined = ns[SUBSET_HINT_KEY];
  if (Array.isArray(value))
    return value.filter((v): v is string => typeof v === "string" && v.trim() !== "").map((v) => v.trim());
  if (typeof value === "string")
    return value
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== "");
  return [];
}

/** readServedEndpoint returns envoy.lb x-gateway-destination-endpoint-served, when present. */
export function readServedEndpoint(metadata: Metadata | undefined): string | undefined {
  const value = metadata?.filterMetadata[LB_NAMESPACE]?.[SERVED_ENDPOINT_KEY];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** destinationMetadata is the dynamic_metadata carrying the same destination as the header. */
export function destinationMetadata(destination: string): JsonObject {
  return { [LB_NAMESPACE]: { [DESTINATION_ENDPOINT]: destination } };
}
