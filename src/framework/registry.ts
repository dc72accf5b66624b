import type { z } from "zod";
import { err, ok, type Result } from "../common/result.js";
import type { Plugin } from "./plugin.js";

/** Stability is how settled a plugin type is. */
export type Stability = "alpha" | "beta" | "stable";

/**
 * PluginTypeSpec describes one registered plugin type: its parameter schema (zod, also the
 * source of the JSON Schema shown by `bbr plugins`) and a factory that receives parameters
 * already validated against it. Factories return errors as values; they never throw for bad
 * input.
 */
export interface PluginTypeSpec<Params = unknown, Handle = unknown, P extends Plugin = Plugin> {
  readonly type: string;
  readonly description: string;
  readonly stability: Stability;
  /** Extension points the type implements, for listings and chain validation messages. */
  readonly extensionPoints: readonly string[];
  readonly parameters: z.ZodType<Params>;
  create(name: string, parameters: Params, handle: Handle): Result<P, string>;
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
 * Registry maps plugin type names to their specs. It is built explicitly (importing a plugin
 * module registers nothing), so every test and every binary composes its own.
 */
export class Registry<Handle> {
  private readonly specs = new Map<string, PluginTypeSpec<unknown, Handle>>();

  /** register adds a type; a duplicate or malformed spec is an error value. */
  register<Params>(spec: PluginTypeSpec<Params, Handle>): Result<void, RegistryError> {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(spec.type)) {
      return err({ type: spec.type, message: "plugin type must be lower-case kebab-case" });
    }
    if (this.specs.has(spec.type)) {
      return err({ type: spec.type, message: `plugin type "${spec.type}" is already registered` });
    }
    this.specs.set(spec.type, spec as PluginTypeSpec<unknown, Handle>);
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
   * create validates raw parameters against the type's schema and builds an instance. Every
   * problem comes back with a path relative to the plugin's config entry.
   */
  create(type: string, name: string, rawParameters: unknown, handle: Handle): Result<Plugin, PluginCreateError[]> {
    const spec = this.specs.get(type);
    if (!spec) {
      const known = [...this.specs.keys()].join(", ");
      return err([{ path: ["type"], message: `unknown plugin type "${type}" (registered types: ${known})` }]);
    }
    const parsed = spec.parameters.safeParse(rawParameters ?? undefined);
    if (!parsed.success) {
      return err(
        parsed.error.issues.map((issue) => ({
          path: ["parameters", ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
          message: `invalid parameters for plugin type "${type}": ${issue.message}`,
        })),
      );
    }
    let created: Result<Plugin, string>;
    try {
      created = spec.create(name, parsed.data, handle);
    } catch (e) {
      created = err(`factory threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!created.ok) return err([{ path: ["parameters"], message: `plugin "${name}" (${type}): ${created.error}` }]);
    return ok(created.value);
  }
}
