import { describe, expect, it } from "vitest";
import { inferenceRequest } from "../../../../../test/epp/support/scheduling.js";
import type { MutableResponseHeaders } from "../../../api/request-control.js";
import {
  DestinationEndpointServedVerifier,
  destinationEndpointServedVerifierType,
  SERVED_ENDPOINT_ECHO_HEADER,
} from "./destination-endpoint-served-verifier.js";

function responseServedBy(servedEndpoint: string | undefined) {
  const set = new Map<string, string>();
  const response: MutableResponseHeaders = {
    request: inferenceRequest(),
    status: 200,
    headers: new Map(),
    streaming: false,
    targetEndpoints: ["10.0.0.1:8000"],
    servedEndpoint,
    setHeader: (name, value) => set.set(name, value),
  };
  return { response, set };
}

describe("destination-endpoint-served-verifier", () => {
  it.each([
    {
      name: "echoes the served endpoint",
      served: "10.0.0.2:8000",
      want: { [SERVED_ENDPOINT_ECHO_HEADER]: "10.0.0.2:8000" },
    },
    { name: "sets nothing when the data plane reports none", served: undefined, want: {} },
  ])("$name", ({ served, want }) => {
    const { response, set } = responseServedBy(served);
    new DestinationEndpointServedVerifier("v").responseHeader(response);
    expect(Object.fromEntries(set)).toEqual(want);
  });

  it("is alpha, behind the DestinationEndpointServedVerifier gate", () => {
    expect(destinationEndpointServedVerifierType).toMatchObject({
      stability: "alpha",
      featureGate: "DestinationEndpointServedVerifier",
    });
  });
});
