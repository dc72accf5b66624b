import type { ConfigIssue } from "../../common/config-error.js";
import { type Expectation, mismatch, PluginRefs } from "../../plugin/config-phases.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { EppRole } from "../api/defaults.js";
import type { EppPluginHandle, EppRegistry } from "../api/handle.js";
import type { EppConfigDocument } from "./schema.js";

/**
 * Wiring is the state of the instantiate phase after the configured plugins are built: every
 * instance by name (configured and injected), the problems found, and the reference's rule
 * that an empty role gets a default plugin, of the type the registry names for the role.
 */
export class Wiring {
  readonly issues: ConfigIssue[] = [];
  readonly refs: PluginRefs;
  private readonly all: Plugin[];
  private readonly byName: Map<string, Plugin>;

  constructor(
    private readonly document: EppConfigDocument,
    configured: readonly Plugin[],
    private readonly registry: EppRegistry,
    private readonly handle: EppPluginHandle,
  ) {
    this.all = [...configured];
    this.byName = new Map(configured.map((p) => [p.typedName.name, p]));
    this.refs = new PluginRefs(this.byName, this.issues);
  }

  /** instances are every plugin, configured and injected, in creation order. */
  get instances(): readonly Plugin[] {
    return this.all;
  }

  /** defaultType is the type the registry names for `role`. */
  defaultType(role: EppRole): string | undefined {
    return this.registry.defaultType(role);
  }

  /**
   * inject finds the default plugin of `role` (a plugin named like the role's type), or creates
   * one with `parameters`; problems are reported at `path`.
   */
  inject(role: EppRole, path: string, parameters?: unknown): Plugin | undefined {
    const type = this.registry.defaultType(role);
    if (type === undefined) {
      this.issues.push({ path, message: `no default ${role} plugin type is registered` });
      return undefined;
    }
    const existing = this.byName.get(type);
    if (existing) {
      if (existing.typedName.type === type) return existing;
      this.issues.push({
        path,
        message: `a default ${type} is needed, but plugin "${type}" has type ${existing.typedName.type}`,
      });
      return undefined;
    }
    const created = this.registry.create(type, type, parameters, this.handle);
    if (!created.ok) {
      for (const e of created.error) this.issues.push({ path, message: `default ${type}: ${e.message}` });
      return undefined;
    }
    this.all.push(created.value);
    this.byName.set(type, created.value);
    return created.value;
  }

  /**
   * fill returns the plugin the config names for a role at `<path>.pluginRef`, or, when it
   * names none, the role's default (reported at `path`); either must meet `expected`.
   */
  fill<T extends Plugin>(
    ref: string | undefined,
    path: string,
    role: EppRole,
    expected: Expectation<T>,
  ): T | undefined {
    if (ref !== undefined) return this.refs.find(ref, `${path}.pluginRef`, expected);
    const plugin = this.inject(role, path);
    if (!plugin) return undefined;
    if (expected.fits(plugin)) return plugin;
    this.issues.push({ path, message: mismatch(plugin, expected.says) });
    return undefined;
  }

  /** pathOf is where a configured plugin sits in the document (`plugins[i]`), "" for injected ones. */
  pathOf(plugin: Plugin): string {
    const i = this.document.plugins.findIndex((p) => (p.name ?? p.type) === plugin.typedName.name);
    return i < 0 ? "" : `plugins[${i}]`;
  }
}
