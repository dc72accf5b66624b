import type { ConfigIssue } from "../../common/config-error.js";
import { err, ok, type Result } from "../../common/result.js";
import { type BandLimits, DEFAULT_BAND_LIMITS, type FlowControlSettings } from "./controller.js";
import {
  EDF_ORDERING,
  FCFS_ORDERING,
  fairnessPolicyOf,
  GLOBAL_STRICT_FAIRNESS,
  orderingPolicyOf,
  ROUND_ROBIN_FAIRNESS,
} from "./policies.js";
import type { FlowControlSection } from "./schema.js";

/** FlowControlConfig is a validated flowControl section. */
export interface FlowControlConfig {
  readonly settings: FlowControlSettings;
  /** In-flight requests per endpoint before the pool counts as saturated. */
  readonly maxConcurrency: number;
}

/** DEFAULT_REQUEST_TTL_MS is llm-d-router's queue TTL default. */
export const DEFAULT_REQUEST_TTL_MS = 60_000;
const DEFAULT_POLL_MS = 10;

/** flowControlConfigFrom turns the config section into controller settings; issues carry paths. */
export function flowControlConfigFrom(
  section: FlowControlSection | undefined,
): Result<FlowControlConfig, ConfigIssue[]> {
  const s = section ?? {
    fairnessPolicy: GLOBAL_STRICT_FAIRNESS,
    orderingPolicy: FCFS_ORDERING,
    maxBytes: 0,
    maxRequests: 0,
    priorityBands: [],
    maxConcurrency: 100,
  };
  const issues: ConfigIssue[] = [];
  const fairness = fairnessPolicyOf(s.fairnessPolicy);
  if (!fairness) {
    issues.push({
      path: "flowControl.fairnessPolicy",
      message: `unknown fairness policy "${s.fairnessPolicy}" (known: ${GLOBAL_STRICT_FAIRNESS}, ${ROUND_ROBIN_FAIRNESS})`,
    });
  }
  const ordering = orderingPolicyOf(s.orderingPolicy);
  if (!ordering) {
    issues.push({
      path: "flowControl.orderingPolicy",
      message: `unknown ordering policy "${s.orderingPolicy}" (known: ${FCFS_ORDERING}, ${EDF_ORDERING})`,
    });
  }
  const limits = (
    b: { maxBytes?: number | undefined; maxRequests?: number | undefined } | undefined,
    base: BandLimits,
  ): BandLimits => ({
    maxBytes: b?.maxBytes ?? base.maxBytes,
    maxRequests: b?.maxRequests ?? base.maxRequests,
  });
  const defaultBand = limits(s.defaultPriorityBand, DEFAULT_BAND_LIMITS);
  const bands = new Map<number, BandLimits>();
  for (const [i, band] of s.priorityBands.entries()) {
    if (bands.has(band.priority))
      issues.push({ path: `flowControl.priorityBands[${i}].priority`, message: `duplicate priority ${band.priority}` });
    bands.set(band.priority, limits(band, defaultBand));
  }
  if (issues.length > 0 || !fairness || !ordering) return err(issues);
  return ok({
    maxConcurrency: s.maxConcurrency,
    settings: {
      fairness,
      ordering,
      bands,
      defaultBand,
      maxBytes: s.maxBytes,
      maxRequests: s.maxRequests,
      defaultTtlMs: s.defaultRequestTTL ?? DEFAULT_REQUEST_TTL_MS,
      pollIntervalMs: s.pollInterval ?? DEFAULT_POLL_MS,
    },
  });
}
