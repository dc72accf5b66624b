import type { Endpoint } from "./endpoint.js";
import type { LlmRequest } from "./request.js";

// The seam between request control and flow control: the director asks for admission, flow
// control answers; neither imports the other.

/** EndpointSource lists the endpoints discovery knows now. */
export interface EndpointSource {
  list(): readonly Endpoint[];
}

/** Admission is how a request leaves flow control: dispatched (with its in-flight slot) or refused. */
export type Admission =
  | { readonly kind: "dispatched"; readonly release: () => void }
  | { readonly kind: "rejected"; readonly reason: "band-full" | "queue-full" | "shutting-down" }
  | { readonly kind: "expired" }
  | { readonly kind: "cancelled" };

/**
 * FlowAdmission holds a request until the pool has room. A dispatched request's release ends
 * its in-flight slot; call it once, when the request's stream ends.
 */
export interface FlowAdmission {
  admit(request: LlmRequest, sloMs: number | undefined, signal: AbortSignal): Promise<Admission>;
}
