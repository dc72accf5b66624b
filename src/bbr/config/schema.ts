import { z } from "zod";
import { OWNED_HEADERS_DEFAULT } from "../settings.js";

/** CONFIG_API_VERSION and CONFIG_KIND identify a BBR config document. */
export const CONFIG_API_VERSION = "inference-bbr.io/v1alpha1";
export const CONFIG_KIND = "BodyBasedRoutingConfig";

const pluginName = z
  .string()
  .regex(/^[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/, "must be alphanumeric with '-', '_' or '.' inside");

/** pluginSpec is one plugin instance: its type, an optional name (defaults to the type), parameters. */
export const pluginSpec = z.strictObject({
  type: z.string().min(1),
  name: pluginName.optional(),
  parameters: z.unknown().optional(),
});

/** pluginRef names a plugin instance in a chain: `name` or `{pluginRef: name}`. */
export const pluginRef = z.union([
  z.string().min(1),
  z.strictObject({ pluginRef: z.string().min(1) }).transform((r) => r.pluginRef),
]);

/** bbrConfigSchema is the whole config document. */
export const bbrConfigSchema = z.strictObject({
  apiVersion: z.literal(CONFIG_API_VERSION).optional(),
  kind: z.literal(CONFIG_KIND).optional(),
  /** Alpha plugin types usable in this config. */
  featureGates: z.array(z.string().min(1)).default([]),
  plugins: z.array(pluginSpec).min(1, "at least one plugin is required"),
  /** Request chain in order; default: every plugin with a request extension point, as listed. */
  request: z.array(pluginRef).optional(),
  /** Response chain in order; default: every plugin with a response extension point, as listed. */
  response: z.array(pluginRef).optional(),
  /** Headers only BBR may set; client-sent values are overwritten or removed. */
  ownedHeaders: z.array(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/)).default([...OWNED_HEADERS_DEFAULT]),
});

export type BbrConfigDocument = z.infer<typeof bbrConfigSchema>;
