import { z } from "zod";
import { durationSchema } from "../../../../common/duration.js";
import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { Endpoint, EndpointMetrics } from "../../../api/endpoint.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { LlmRequest } from "../../../api/request.js";
import type { Filter } from "../../../api/scheduling.js";
import type { SaturationDetector } from "../../../api/saturation.js";
import { parameters } from "../../params.js";

/** UTILIZATION_DETECTOR is the plugin type name. */
export const UTILIZATION_DETECTOR = "utilization-detector";

const schema = parameters({
  queueDepthThreshold: z.number().int().positive().default(5),
  kvCacheUtilThreshold: z.number().gt(0).max(1).default(0.8),
  metricsStalenessThreshold: durationSchema.default(200),
  headroom: z.number().min(0).default(0),
});

/** UtilizationDetectorParameters are the parsed parameters (staleness in ms). */
export type UtilizationDetectorParameters = z.output<typeof schema>;

/**
 * UtilizationDetector rates saturation from scraped metrics: per endpoint
 * max(queue / queueDepthThreshold, kv / kvCacheUtilThreshold), where missing or stale metrics
 * (older than metricsStalenessThreshold) count as 1; the pool value is the plain average.
 * As a Filter it drops stale and over-threshold endpoints (thresholds × (1 + headroom)),
 * keeping everyone when that would drop all.
 */
export class UtilizationDetector implements SaturationDetector, Filter {
  readonly typedName: TypedName;

  constructor(
    name: string,
    readonly params: UtilizationDetectorParameters,
  ) {
    this.typedName = { type: UTILIZATION_DETECTOR, name };
  }

  private fresh(e: Endpoint, now: number): EndpointMetrics | undefined {
    const m = e.lastMetrics;
    return m && now - m.updatedAt <= this.params.metricsStalenessThreshold ? m : undefined;
  }

  saturation(endpoints: readonly Endpoint[], now: number): number {
    if (endpoints.length === 0) return 1;
    const { queueDepthThreshold: q, kvCacheUtilThreshold: kv } = this.params;
    let sum = 0;
    for (const e of endpoints) {
      const m = this.fresh(e, now);
      sum += m ? Math.max(m.waitingQueueSize / q, m.kvCacheUsagePercent / kv) : 1;
    }
    return sum / endpoints.length;
  }

  filter(request: LlmRequest, endpoints: readonly Endpoint[]): readonly Endpoint[] {
    const { queueDepthThreshold, kvCacheUtilThreshold, headroom } = this.params;
    const maxQueue = queueDepthThreshold * (1 + headroom);
    const maxKv = Math.min(1, kvCacheUtilThreshold * (1 + headroom));
    const kept = endpoints.filter((e) => {
      const m = this.fresh(e, request.now);
      return m !== undefined && m.waitingQueueSize <= maxQueue && m.kvCacheUsagePercent <= maxKv;
    });
    return kept.length === 0 || kept.length === endpoints.length ? endpoints : kept;
  }
}

/** utilizationDetectorType registers utilization-detector. */
export const utilizationDetectorType: PluginTypeSpec<UtilizationDetectorParameters, EppPluginHandle> = {
  type: UTILIZATION_DETECTOR,
  description: "Saturation from queue depth and KV utilisation (average of per-endpoint max ratios); also a filter.",
  stability: "stable",
  extensionPoints: ["SaturationDetector", "Filter"],
  parameters: schema as unknown as z.ZodType<UtilizationDetectorParameters>,
  create: (name, p) => ok(new UtilizationDetector(name, p)),
};
