import { z } from "zod";
import { flowControlSchema } from "../flowcontrol/schema.js";

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
export const eppConfigSchema = z.strictObject({
  apiVersion: z.enum(CONFIG_API_VERSIONS).optional(),
  kind: z.literal(CONFIG_KIND).optional(),
  featureGates: z.array(z.string().min(1)).default([]),
  plugins: z.array(pluginSpec).min(1, "at least one plugin is required"),
  schedulingProfiles: z.array(schedulingProfile).default([]),
  saturationDetector: z.strictObject({ pluginRef }).optional(),
  dataLayer: z.strictObject({ sources: z.array(dataSource) }).optional(),
  /** Flow control runs behind the flowControl feature gate; with the gate off the section is ignored with a warning. */
  flowControl: flowControlSchema.optional(),
  parser: z.strictObject({ pluginRef }).optional(),
});

export type EppConfigDocument = z.output<typeof eppConfigSchema>;
