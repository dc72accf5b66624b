import type { z } from "zod";
import { err, ok, type Result } from "../common/result.js";
import { zodIssues } from "../common/zod-issues.js";
import type { Plugin } from "./plugin.js";

/**
 * Stability is how settled a plugin type is (GIE PR 2684's tiers):
 * - alpha: off unless the config names the type's feature gate; may change or go any release.
 * - beta: on by default; the parameter schema is kept; removal only after a deprecation period.
 * - stable: always on; fully backward compatible within the config API version.
 */
export type Stability = "alpha" | "beta" | "stable";

/** STABILITY_LEVELS lists the levels from least to most settled. */
export const STABILITY_LEVELS: readonly Stability[] = ["alpha", "beta", "stable"];

/** stabilityRank orders levels: alpha 0, beta 1, stable 2. */
export function stabilityRank(level: Stability): number {
  return STABILITY_LEVELS.indexOf(level);
}

/**
 * Deprecation marks a type that still works but will go. It is not a stability level: a
 * deprecated type keeps its level, which decides how long it must stay.
 */
export interface Deprecation {
  /** What to do instead, shown to operators in the warning. Required. */
  readonly message: string;
  /** Types that replace this one. */
  readonly replacements?: readonly string[];
  /** Release that deprecated the type, e.g. "0.3.0". */
  readonly since?: string;
}

/** ParameterIssue is a factory's complaint about one parameter; path is relative to `parameters`. */
export interface ParameterIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * PluginTypeSpec describes one registered plugin type: its parameter schema (zod, also the
 * source of the JSON Schema shown by `bbr plugins`) and a factory that receives parameters
 * already validated against it. Factories return errors as values (a message, or issues with
 * paths into the parameters); they never throw for bad input.
 */
export interface PluginTypeSpec<Params = unknown, Handle = unknown, P extends Plugin = Plugin> {
  readonly type: string;
  readonly description: string;
  readonly stability: Stability;
  /** Feature gate that enables an alpha type (CamelCase, e.g. "CelRules"). Required for alpha. */
  readonly featureGate?: string;
  readonly deprecated?: Deprecation;
  /** Extension points the type implements, for listings and chain validation messages. */
  readonly extensionPoints: readonly string[];
  readonly parameters: z.ZodType<Params>;
  create(name: string, parameters: Params, handle: Handle): Result<P, string | readonly ParameterIssue[]>;
  /**
   * load prepares an implementation kept out of the registration, so registering (and listing)
   * a type does not import it; Registry.loadImplementations awaits it before a config's
   * instances are created. Absent: create works at once. See lazyPluginType.
   */
  readonly load?: () => Promise<void>;
}

/** PluginFactory is a type's create function. */
export type PluginFactory<Params, Handle, P extends Plugin = Plugin> = PluginTypeSpec<Params, Handle, P>["create"];

/** PluginTypeRegistration is what registering a type needs without its implementation: a spec minus create. */
export type PluginTypeRegistration<Params, Handle, P extends Plugin = Plugin> = Omit<
  PluginTypeSpec<Params, Handle, P>,
  "create" | "load"
>;

/**
 * lazyPluginType registers a type whose factory lives in a module imported on first use (its
 * dependencies, such as a CEL interpreter or a multipart parser, cost memory in every process
 * that registers the type but never configures it). The returned spec's load() imports it;
 * create before a successful load returns an error value, the import failure when there was one.
 * A failed import is retried by the next load (the next config that uses the type).
 */
export function lazyPluginType<Params, Handle, P extends Plugin = Plugin>(
  registration: PluginTypeRegistration<Params, Handle, P>,
  importFactory: () => Promise<PluginFactory<Params, Handle, P>>,
): PluginTypeSpec<Params, Handle, P> {
  let factory: PluginFactory<Params, Handle, P> | undefined;
  let failure: string | undefined;
  let loading: Promise<void> | undefined;
  return {
    ...registration,
    load() {
      loading ??= importFactory().then(
        (loaded) => {
          factory = loaded;
          failure = undefined;
        },
        (e: unknown) => {
          failure = e instanceof Error ? e.message : String(e);
          loading = undefined;
        },
      );
      return loading;
    },
    create(name, parameters, handle) {
      if (factory) return factory(name, parameters, handle);
      return err(
        failure === undefined
          ? "implementation not loaded (Registry.loadImplementations must run before create)"
          : `cannot load the implementation: ${failure}`,
      );
    },
  };
}

/**
 * Tombstone stays in the registry after a type is removed, so a config still naming it fails
 * with migration guidance instead of a bare "unknown type".
 */
export interface Tombstone {
  readonly type: string;
  /** How to migrate. */
  readonly message: string;
  /** Types to use instead (there may be several, e.g. when one type was split). */
  readonly replacements: readonly string[];
  /** Release that removed the type. */
  readonly removedIn?: string;
}

/** RegistryError explains why a registration was refused. */
export interface RegistryError {
  readonly type: string;
  readonly message: string;
}

/** PluginCreateError explains why an instance could not be built; path points into the config. */
export interface PluginCreateError {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * StabilityPolicy is what a config allows: alpha types whose gate is listed, and nothing below
 * minimumStability.
 */
export interface StabilityPolicy {
  readonly featureGates: readonly string[];
  readonly minimumStability: Stability;
}

/** PERMISSIVE_POLICY admits every registered type (tests, listings). */
export const PERMISSIVE_POLICY: StabilityPolicy = { featureGates: [], minimumStability: "alpha" };

/**
 * PluginRegistrar is the part of a registry a plugin module sees in its `register(registry)`
 * function: it can add types and tombstones, nothing else.
 */
export interface PluginRegistrar<Handle> {
  register<Params>(spec: PluginTypeSpec<Params, Handle>): Result<void, RegistryError>;
  registerTombstone(tombstone: Tombstone): Result<void, RegistryError>;
}

const TYPE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const GATE_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * Registry maps plugin type names to their specs and keeps tombstones of removed types. It is
 * built explicitly (importing a plugin module registers nothing), so every test and every
 * binary composes its own. Registration returns errors; nothing here throws for bad specs.
 */
export class Registry<Handle> implements PluginRegistrar<Handle> {
  private readonly specs = new Map<string, PluginTypeSpec<unknown, Handle>>();
  private readonly removed = new Map<string, Tombstone>();
  private readonly defaults = new Map<string, string>();

  // Shared by clones, so a deprecated type warns once per process, not once per reload.
  constructor(private readonly warnedDeprecated: Set<string> = new Set()) {}

  /**
   * register adds a type. Refused: a malformed type name, a type registered (or tombstoned)
   * already, an alpha type without a feature gate, a deprecation without a message.
   */
  register<Params>(spec: PluginTypeSpec<Params, Handle>): Result<void, RegistryError> {
    const refuse = (message: string) => err({ type: String(spec?.type), message });
    if (typeof spec !== "object" || spec === null) return refuse("plugin type spec must be an object");
    if (typeof spec.type !== "string" || !TYPE_NAME.test(spec.type)) {
      return refuse(`plugin type ${JSON.stringify(spec.type)} must be lower-case kebab-case`);
    }
    if (this.specs.has(spec.type)) return refuse(`plugin type "${spec.type}" is already registered`);
    if (this.removed.has(spec.type))
      return refuse(`plugin type "${spec.type}" is tombstoned (removed) and cannot be registered`);
    if (!STABILITY_LEVELS.includes(spec.stability)) {
      return refuse(`plugin type "${spec.type}": stability must be one of ${STABILITY_LEVELS.join(", ")}`);
    }
    if (spec.stability === "alpha" && (spec.featureGate === undefined || !GATE_NAME.test(spec.featureGate))) {
      return refuse(`plugin type "${spec.type}" is alpha and needs a featureGate name (CamelCase, e.g. "MyPlugin")`);
    }
    if (spec.featureGate !== undefined && spec.stability !== "alpha") {
      return refuse(`plugin type "${spec.type}" is ${spec.stability}; only alpha types have a featureGate`);
    }
    if (
      spec.deprecated !== undefined &&
      !(typeof spec.deprecated.message === "string" && spec.deprecated.message.trim() !== "")
    ) {
      return refuse(`plugin type "${spec.type}" is deprecated but gives no deprecation message`);
    }
    if (typeof spec.create !== "function") return refuse(`plugin type "${spec.type}" has no create() factory`);
    if (spec.load !== undefined && typeof spec.load !== "function") {
      return refuse(`plugin type "${spec.type}": load must be a function`);
    }
    if (typeof spec.parameters?.safeParse !== "function") {
      return refuse(`plugin type "${spec.type}" has no zod parameters schema`);
    }
    this.specs.set(spec.type, spec as PluginTypeSpec<unknown, Handle>);
    return ok(undefined);
  }

  /** registerTombstone records a removed type with its migration text. */
  registerTombstone(tombstone: Tombstone): Result<void, RegistryError> {
    const refuse = (message: string) => err({ type: String(tombstone?.type), message });
    if (typeof tombstone?.type !== "string" || !TYPE_NAME.test(tombstone.type)) {
      return refuse(`tombstone type ${JSON.stringify(tombstone?.type)} must be lower-case kebab-case`);
    }
    if (this.specs.has(tombstone.type))
      return refuse(`plugin type "${tombstone.type}" is registered; it cannot also be removed`);
    if (this.removed.has(tombstone.type)) return refuse(`plugin type "${tombstone.type}" is already tombstoned`);
    if (typeof tombstone.message !== "string" || tombstone.message.trim() === "") {
      return refuse(`tombstone for "${tombstone.type}" needs a migration message`);
    }
    this.removed.set(tombstone.type, { ...tombstone, replacements: [...(tombstone.replacements ?? [])] });
    return ok(undefined);
  }

  /** get returns the spec of a type. */
  get(type: string): PluginTypeSpec<unknown, Handle> | undefined {
    return this.specs.get(type);
  }

  /** types lists registered specs in registration order. */
  types(): PluginTypeSpec<unknown, Handle>[] {
    return [...this.specs.values()];
  }

  /**
   * loadImplementations imports the implementations of the named types that are registered
   * lazily (see lazyPluginType), before their instances are created. Never rejects: an import
   * failure comes back from the type's create as an error value, at the config entry that used it.
   */
  async loadImplementations(types: Iterable<string>): Promise<void> {
    const loads: Promise<void>[] = [];
    for (const type of new Set(types)) {
      const load = this.specs.get(type)?.load;
      if (load) loads.push(load().catch(() => {}));
    }
    await Promise.all(loads);
  }

  /** tombstones lists removed types. */
  tombstones(): Tombstone[] {
    return [...this.removed.values()];
  }

  /** clone copies types, tombstones and defaults into a new registry (config modules add to the copy). */
  clone(): Registry<Handle> {
    const copy = new Registry<Handle>(this.warnedDeprecated);
    for (const [type, spec] of this.specs) copy.specs.set(type, spec);
    for (const [type, t] of this.removed) copy.removed.set(type, t);
    for (const [role, type] of this.defaults) copy.defaults.set(role, type);
    return copy;
  }

  /**
   * firstDeprecatedUse tells whether this is the first use of a deprecated type in this
   * process (and remembers it), so the warning is logged once.
   */
  firstDeprecatedUse(type: string): boolean {
    if (this.warnedDeprecated.has(type)) return false;
    this.warnedDeprecated.add(type);
    return true;
  }

  /**
   * admit decides whether a config may use a type: it must be registered (a tombstone fails
   * with its migration text), an alpha type needs its gate, and nothing below the policy's
   * minimum stability is allowed.
   */
  admit(type: string, policy: StabilityPolicy): Result<PluginTypeSpec<unknown, Handle>, string> {
    const spec = this.specs.get(type);
    if (!spec) {
      const tombstone = this.removed.get(type);
      if (tombstone) return err(formatTombstone(tombstone));
      const known = [...this.specs.keys()].join(", ");
      return err(`unknown plugin type "${type}" (registered types: ${known})`);
    }
    if (stabilityRank(spec.stability) < stabilityRank(policy.minimumStability)) {
      return err(
        `plugin type "${type}" is ${spec.stability}, below the config's minimumStability (${policy.minimumStability})`,
      );
    }
    if (spec.stability === "alpha" && !policy.featureGates.includes(spec.featureGate ?? "")) {
      return err(
        `plugin type "${type}" is alpha; enable it by adding feature gate "${spec.featureGate}" to featureGates`,
      );
    }
    return ok(spec);
  }

  /**
   * check admits the type under the policy and validates raw parameters against its schema,
   * without building anything. Every problem comes back with a path relative to the plugin's
   * config entry.
   */
  check(
    type: string,
    rawParameters: unknown,
    policy: StabilityPolicy = PERMISSIVE_POLICY,
  ): Result<{ spec: PluginTypeSpec<unknown, Handle>; parameters: unknown }, PluginCreateError[]> {
    const admitted = this.admit(type, policy);
    if (!admitted.ok) return err([{ path: ["type"], message: admitted.error }]);
    const spec = admitted.value;
    const parsed = spec.parameters.safeParse(rawParameters ?? undefined);
    if (!parsed.success) {
      return err(
        zodIssues(parsed.error).map((issue) => ({
          path: ["parameters", ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
          message: `invalid parameters for plugin type "${type}": ${issue.message}`,
        })),
      );
    }
    return ok({ spec, parameters: parsed.data });
  }

  /**
   * create checks the type and parameters (see check) and builds an instance. Every problem
   * comes back with a path relative to the plugin's config entry.
   */
  create(
    type: string,
    name: string,
    rawParameters: unknown,
    handle: Handle,
    policy: StabilityPolicy = PERMISSIVE_POLICY,
  ): Result<Plugin, PluginCreateError[]> {
    const checked = this.check(type, rawParameters, policy);
    if (!checked.ok) return checked;
    const { spec, parameters } = checked.value;
    let created: Result<Plugin, string | readonly ParameterIssue[]>;
    try {
      created = spec.create(name, parameters, handle);
    } catch (e) {
      created = err(`factory threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (created.ok) return ok(created.value);
    if (typeof created.error === "string") {
      return err([{ path: ["parameters"], message: `plugin "${name}" (${type}): ${created.error}` }]);
    }
    return err(
      created.error.map((issue) => ({
        path: ["parameters", ...issue.path],
        message: `plugin "${name}" (${type}): ${issue.message}`,
      })),
    );
  }

  /**
   * setDefault names the type a config loader creates for `role` when a config fills nothing
   * into it (EPP: the parser, the picker of a profile, the producer of a data key). The role
   * names belong to the extension points that define them; the type must be registered.
   */
  setDefault(role: string, type: string): Result<void, RegistryError> {
    if (!this.specs.has(type))
      return err({ type, message: `default ${role}: plugin type "${type}" is not registered` });
    this.defaults.set(role, type);
    return ok(undefined);
  }

  /** defaultType is the type set for `role`, if any. */
  defaultType(role: string): string | undefined {
    return this.defaults.get(role);
  }
}

/** RegistryContents is what a binary's built-in registry holds: types, tombstones and role defaults. */
export interface RegistryContents<Handle> {
  readonly types: readonly PluginTypeSpec<unknown, Handle>[];
  readonly tombstones?: readonly Tombstone[];
  /** defaults are [role, type] pairs (see Registry.setDefault). */
  readonly defaults?: readonly (readonly [role: string, type: string])[];
}

/**
 * buildRegistry builds a registry from built-in contents. A refused entry is a programming
 * error in the table (each binary's in-tree test catches it), so it throws.
 */
export function buildRegistry<Handle>(contents: RegistryContents<Handle>): Registry<Handle> {
  const registry = new Registry<Handle>();
  const added = [
    ...contents.types.map((spec) => registry.register(spec)),
    ...(contents.tombstones ?? []).map((t) => registry.registerTombstone(t)),
    ...(contents.defaults ?? []).map(([role, type]) => registry.setDefault(role, type)),
  ];
  for (const result of added) if (!result.ok) throw new Error(result.error.message);
  return registry;
}

/** formatTombstone renders the error for a removed type, with its replacements. */
export function formatTombstone(t: Tombstone): string {
  const removed = t.removedIn ? ` in ${t.removedIn}` : "";
  const replacements = t.replacements.length > 0 ? ` (replacements: ${t.replacements.join(", ")})` : "";
  return `plugin type '${t.type}' has been removed${removed}: ${t.message}${replacements}`;
}

/** formatDeprecation renders the warning for a deprecated type. */
export function formatDeprecation(type: string, d: Deprecation): string {
  const since = d.since ? ` since ${d.since}` : "";
  const replacements =
    d.replacements && d.replacements.length > 0 ? ` (replacements: ${d.replacements.join(", ")})` : "";
  return `plugin type "${type}" is deprecated${since}: ${d.message}${replacements}`;
}
