import { z } from "zod";
import { durationSchema } from "../../common/duration.js";

const QUANTITY_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** byteQuantity is a byte count as a number or a Kubernetes quantity ("512Mi", "1G"). */
const byteQuantity = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = typeof v === "string" ? /^(\d+(?:\.\d+)?)(K|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(v) : null;
  const bytes = typeof v === "number" ? v : m ? Math.round(Number(m[1]) * QUANTITY_UNITS[m[2] ?? ""]!) : Number.NaN;
  if (!Number.isInteger(bytes) || bytes < 0) {
    ctx.addIssue({ code: "custom", message: 'use a byte count or a quantity such as "512Mi" or "1G"' });
    return z.NEVER;
  }
  return bytes;
});

const bandLimits = {
  maxBytes: byteQuantity.optional(),
  maxRequests: z.number().int().min(0).optional(),
};

/**
 * flowControlSchema is the `flowControl` section of an EndpointPickerConfig (behind the
 * flowControl feature gate): policies by their reference type names, queue limits (0 =
 * unlimited) and how many requests may be in flight per endpoint before the pool counts as
 * saturated. It lives with flow control, which owns its meaning; the config schema embeds it.
 */
export const flowControlSchema = z.strictObject({
  fairnessPolicy: z.string().min(1).default("global-strict-fairness-policy"),
  orderingPolicy: z.string().min(1).default("fcfs-ordering-policy"),
  /** Longest a request waits in the queue (Go duration); "0s" waits until the client gives up. */
  defaultRequestTTL: durationSchema.optional(),
  maxBytes: byteQuantity.default(0),
  maxRequests: z.number().int().min(0).default(0),
  defaultPriorityBand: z.strictObject(bandLimits).optional(),
  priorityBands: z.array(z.strictObject({ priority: z.number().int(), ...bandLimits })).default([]),
  /** In-flight requests per endpoint the dispatcher allows: saturation is at least inFlight / (endpoints × maxConcurrency). */
  maxConcurrency: z.number().int().positive().default(100),
  /** How often a saturated queue looks again (Go duration). */
  pollInterval: durationSchema.optional(),
});

/** FlowControlSection is a decoded `flowControl` section. */
export type FlowControlSection = z.output<typeof flowControlSchema>;
