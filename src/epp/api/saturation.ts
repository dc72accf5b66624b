import type { Plugin } from "../../plugin/plugin.js";
import type { Endpoint } from "./endpoint.js";

/**
 * SaturationDetector rates how loaded a set of endpoints is: below 1.0 has headroom, 1.0 or
 * more is saturated (values above 1 give the depth of overload). An empty set is saturated.
 * Sheddable requests (negative priority) are rejected with 429 while saturation ≥ 1.
 */
export interface SaturationDetector extends Plugin {
  saturation(endpoints: readonly Endpoint[], now: number): number;
}

/** isSaturationDetector tells whether a plugin implements SaturationDetector. */
export function isSaturationDetector(p: Plugin): p is SaturationDetector {
  return typeof (p as Partial<SaturationDetector>).saturation === "function";
}
