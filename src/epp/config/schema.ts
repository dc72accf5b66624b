import { z } from "zod";
import { durationSchema } from "../../common/duration.js";

/** CONFIG_API_VERSIONS are the EndpointPickerConfig groups accepted: GIE's and llm-d-router's. */
export const CONFIG_API_VERSIONS = ["inference.networking.x-k8s.io/v1alpha1", "llm-d.ai/v1alpha1"] as const;
export const CONFIG_KIND = "EndpointPickerConfig";

const pluginName = z
  .string()
  .regex(/^[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/, "must be alphanumeric with '-', '_' or '.' inside");

const pluginRef = z.string().min(1, "pluginRef must not be empty");

/** pluginSpec is one plugin instance: type, optional name (defaults to the type), parameters. */
export const pluginSpec = z.strictObject({
  type: z.string().min(1, "type must not be empty"),
  name: pluginName.optional(),
  parameters: z.unknown().optional(),
});

/** schedulingPluginRef places a plugin in a profile; weight applies to scorers only (default 1). */
export const schedulingPluginRef = z.strictObject({
  pluginRef,
  weight: z.number().min(0, "weight must not be negative").optional(),
});

export const schedulingProfile = z.strictObject({
  name: z.string().min(1, "profile name must not be empty"),
  plugins: z.array(schedulingPluginRef).default([]),
});

const dataSource = z.strictObject({
  pluginRef,
  extractors: z.array(z.strictObject({ pluginRef })).default([]),
});

/**
 * eppConfigSchema is the EndpointPickerConfig document, decoded strictly (unknown keys are
 * errors, as the reference's EnableStrict decoder does).
 */
const QUANTITY_UNITS: Readonly<Record<string, number>> = { "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

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
 * flowControlSchema configures flow control (behind the flowControl feature gate): policies by
 * their reference type names, queue limits (0 = unlimited) and how many requests may be in
 * flight per endpoint before the pool counts as saturated.
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

export const eppConfigSchema = z.strictObject({
  apiVersion: z.enum(CONFIG_API_VERSIONS).optional(),
  kind: z.literal(CONFIG_KIND).optional(),
  featureGates: z.array(z.string().min(1)).default([]),
  plugins: z.array(pluginSpec).min(1, "at least one plugin is required"),
  schedulingProfiles: z.array(schedulingProfile).default([]),
  saturationDetector: z.strictObject({ pluginRef }).optional(),
  dataLayer: z.strictObject({ sources: z.array(dataSource) }).optional(),
  /** Flow control is not implemented: accepted (and ignored with a warning) unless its gate is on. */
  flowControl: flowControlSchema.optional(),
  parser: z.strictObject({ pluginRef }).optional(),
});

export type EppConfigDocument = z.output<typeof eppConfigSchema>;
