import { z } from "zod";
import type { PluginTypeSpec, Registry, Tombstone } from "./registry.js";

/**
 * PluginTypeInfo is a plugin type as listings show it (`bbr plugins`, the admin API): the
 * spec's descriptive fields, with the parameter schema rendered as JSON Schema.
 */
export type PluginTypeInfo = Pick<
  PluginTypeSpec<unknown, unknown>,
  "type" | "description" | "stability" | "featureGate" | "deprecated" | "extensionPoints"
> & {
  /** JSON Schema of the parameters (input side: defaults make fields optional). */
  readonly parameters: Record<string, unknown>;
};

/** parametersJsonSchema renders a type's zod schema as JSON Schema; refinements are not representable and are left out. */
export function parametersJsonSchema(spec: PluginTypeSpec<unknown, unknown>): Record<string, unknown> {
  try {
    const schema = z.toJSONSchema(spec.parameters, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    delete schema["$schema"];
    return schema;
  } catch (e) {
    return { description: `schema not representable: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** describeType summarises one spec. */
export function describeType(spec: PluginTypeSpec<unknown, unknown>): PluginTypeInfo {
  return {
    type: spec.type,
    description: spec.description,
    stability: spec.stability,
    ...(spec.featureGate === undefined ? {} : { featureGate: spec.featureGate }),
    ...(spec.deprecated === undefined ? {} : { deprecated: spec.deprecated }),
    extensionPoints: [...spec.extensionPoints],
    parameters: parametersJsonSchema(spec),
  };
}

/** describeRegistry lists every type and every tombstone of a registry. */
export function describeRegistry<Handle>(registry: Registry<Handle>): {
  types: PluginTypeInfo[];
  removed: Tombstone[];
} {
  return {
    types: registry.types().map((s) => describeType(s as PluginTypeSpec<unknown, unknown>)),
    removed: registry.tombstones(),
  };
}

/** stabilityLabel renders "alpha (feature gate CelRules)", "beta, deprecated", … */
export function stabilityLabel(info: Pick<PluginTypeInfo, "stability" | "featureGate" | "deprecated">): string {
  let label: string = info.stability;
  if (info.featureGate) label += ` (feature gate ${info.featureGate})`;
  if (info.deprecated) label += ", deprecated";
  return label;
}
