import { z } from "zod";
import { durationSchema } from "../../common/duration.js";
import { OWNED_HEADERS_DEFAULT } from "../pipeline/settings.js";

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
  /**
   * Longest an asynchronous plugin call may take ("250ms", "2s"); past it the call counts as a
   * failure. Synchronous code cannot be preempted, so this bounds waiting, not computing.
   */
  timeout: durationSchema.optional(),
  /**
   * What a plugin failure (an error other than a RequestError, or a timeout) does: Fail answers
   * 500, Ignore skips the plugin and goes on (fail open), as Kubernetes webhooks name it.
   */
  failurePolicy: z.enum(["Fail", "Ignore"]).default("Fail"),
});

/** pluginRef names a plugin instance in a chain: `name` or `{pluginRef: name}`. */
export const pluginRef = z.union([
  z.string().min(1),
  z.strictObject({ pluginRef: z.string().min(1) }).transform((r) => r.pluginRef),
]);

/** candidateModel is one model a model selector may choose: a name, or a name with attributes. */
export const candidateModel = z.union([
  z
    .string()
    .min(1)
    .transform((name) => ({ name, attributes: {} as Record<string, unknown> })),
  z.strictObject({
    name: z.string().min(1),
    /** Free-form facts filters and scorers read, e.g. contextWindow, price. */
    attributes: z.record(z.string(), z.unknown()).default({}),
  }),
]);

/** weightedRef names a scorer instance with its weight: `name` (weight 1) or `{pluginRef, weight}`. */
export const weightedRef = z.union([
  z
    .string()
    .min(1)
    .transform((pluginRef) => ({ pluginRef, weight: 1 })),
  z.strictObject({ pluginRef: z.string().min(1), weight: z.number().finite().nonnegative().default(1) }),
]);

/**
 * modelSelectorSpec is a model-selection pipeline: candidate models, filters in order,
 * weighted scorers and exactly one picker (all plugin instances named in `plugins`). It is
 * itself a ModelSelector that chains refer to by name.
 */
export const modelSelectorSpec = z.strictObject({
  name: pluginName,
  models: z.array(candidateModel).min(1, "at least one candidate model is required"),
  filters: z.array(pluginRef).default([]),
  scorers: z.array(weightedRef).default([]),
  picker: pluginRef,
  /** Write the pick into the body's `model` (only if it changed); the header is always set. */
  rewriteBody: z.boolean().default(true),
  /** Run only when the request's current model is listed (e.g. "auto"; "" means no model). */
  triggerModels: z.array(z.string()).optional(),
});

export type ModelSelectorSpec = z.infer<typeof modelSelectorSpec>;

/** STABILITY_VALUES are the accepted minimumStability values. */
export const STABILITY_VALUES = ["alpha", "beta", "stable"] as const;

/** bbrConfigSchema is the whole config document. */
export const bbrConfigSchema = z.strictObject({
  apiVersion: z.literal(CONFIG_API_VERSION).optional(),
  kind: z.literal(CONFIG_KIND).optional(),
  /** Feature gates enabling alpha plugin types (each alpha type names its gate, e.g. CelRules). */
  featureGates: z.array(z.string().min(1)).default([]),
  /** Refuse plugin types below this stability (alpha admits all, gated alphas included). */
  minimumStability: z.enum(STABILITY_VALUES).default("alpha"),
  /**
   * Plugin modules: paths (relative to this file) or package names. Each exports
   * `register(registry)`, which adds plugin types usable in `plugins`.
   */
  modules: z.array(z.string().min(1)).default([]),
  plugins: z.array(pluginSpec).min(1, "at least one plugin is required"),
  /** Model-selection pipelines (filters → weighted scorers → picker) over candidate models. */
  modelSelectors: z.array(modelSelectorSpec).default([]),
  /**
   * Request chain in order; default: every plugin with a request extension point, as listed,
   * except those used inside model selectors, then the model selectors.
   */
  request: z.array(pluginRef).optional(),
  /** Response chain in order; default: every plugin with a response extension point, as listed. */
  response: z.array(pluginRef).optional(),
  /** Headers only BBR may set; client-sent values are overwritten or removed. */
  ownedHeaders: z.array(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/)).default([...OWNED_HEADERS_DEFAULT]),
});

export type BbrConfigDocument = z.infer<typeof bbrConfigSchema>;
