import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { MutableResponseHeaders, ResponseHeaderProcessor } from "../../../api/request-control.js";
import { noParameters } from "../../params.js";

/** DESTINATION_ENDPOINT_SERVED_VERIFIER is the plugin type name (the GIE conformance plugin). */
export const DESTINATION_ENDPOINT_SERVED_VERIFIER = "destination-endpoint-served-verifier";

/** SERVED_ENDPOINT_ECHO_HEADER is the response header the conformance suite reads. */
export const SERVED_ENDPOINT_ECHO_HEADER = "x-conformance-test-served-endpoint";

/**
 * DestinationEndpointServedVerifier echoes the data plane's served-endpoint report
 * (envoy.lb x-gateway-destination-endpoint-served) in a response header, so a conformance test
 * can see that the report reached the EPP. For tests only.
 */
export class DestinationEndpointServedVerifier implements ResponseHeaderProcessor {
  readonly typedName: TypedName;

  constructor(name: string) {
    this.typedName = { type: DESTINATION_ENDPOINT_SERVED_VERIFIER, name };
  }

  responseHeader(response: MutableResponseHeaders): void {
    if (response.servedEndpoint !== undefined) response.setHeader(SERVED_ENDPOINT_ECHO_HEADER, response.servedEndpoint);
  }
}

/** destinationEndpointServedVerifierType registers destination-endpoint-served-verifier. */
export const destinationEndpointServedVerifierType: PluginTypeSpec<Record<string, never>, EppPluginHandle> = {
  type: DESTINATION_ENDPOINT_SERVED_VERIFIER,
  description:
    "Test plugin: echoes the served endpoint reported by the data plane as x-conformance-test-served-endpoint.",
  stability: "alpha",
  featureGate: "DestinationEndpointServedVerifier",
  extensionPoints: ["ResponseHeaderProcessor"],
  parameters: noParameters,
  create: (name) => ok(new DestinationEndpointServedVerifier(name)),
};
