import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ConfigIssue } from "../../common/config-error.js";
import type { Result } from "../../common/result.js";
import type { PluginRegistrar, PluginTypeSpec, RegistryError, Tombstone } from "../../plugin/registry.js";
import type { BbrPluginHandle, BbrRegistry } from "../api/plugin-handle.js";

/** PluginModule is what a config module exports: a function adding plugin types. */
export interface PluginModule {
  register(registry: PluginRegistrar<BbrPluginHandle>): void | Promise<void>;
}

/**
 * moduleSpecifier turns a `modules` entry into an import specifier: paths (./, ../, /) are
 * resolved against the config file's directory; file: URLs are kept; anything else is a
 * package name, resolved from where BBR is installed (install plugin packages next to it).
 */
export function moduleSpecifier(entry: string, baseDir: string): string {
  if (entry.startsWith("file:")) return entry;
  if (entry.startsWith("./") || entry.startsWith("../") || isAbsolute(entry)) {
    return pathToFileURL(resolve(baseDir, entry)).href;
  }
  return entry;
}

function registerFunction(mod: unknown): PluginModule["register"] | undefined {
  const m = mod as { register?: unknown; default?: { register?: unknown } } | undefined;
  const fn = m?.register ?? m?.default?.register;
  return typeof fn === "function" ? (fn as PluginModule["register"]) : undefined;
}

/**
 * loadModules imports each module and lets it register into `registry`. Registration errors
 * (a duplicate type, an alpha type without a gate) are collected even if the module ignores
 * the Result register() returns. Imports are cached by the runtime: a reload picks up newly
 * listed modules, but changed module code needs a restart. Each problem is reported at
 * `modules[i]`.
 */
export async function loadModules(
  entries: readonly string[],
  baseDir: string,
  registry: BbrRegistry,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const [index, entry] of entries.entries()) {
    const path = `modules[${index}]`;
    let mod: unknown;
    try {
      mod = await import(moduleSpecifier(entry, baseDir));
    } catch (e) {
      issues.push({ path, message: `cannot load module "${entry}": ${e instanceof Error ? e.message : String(e)}` });
      continue;
    }
    const register = registerFunction(mod);
    if (!register) {
      issues.push({ path, message: `module "${entry}" does not export a register(registry) function` });
      continue;
    }
    const recorded: string[] = [];
    const note = <T>(r: Result<T, RegistryError>): Result<T, RegistryError> => {
      if (!r.ok) recorded.push(r.error.message);
      return r;
    };
    const registrar: PluginRegistrar<BbrPluginHandle> = {
      register: <P>(spec: PluginTypeSpec<P, BbrPluginHandle>) => note(registry.register(spec)),
      registerTombstone: (t: Tombstone) => note(registry.registerTombstone(t)),
    };
    try {
      await register(registrar);
    } catch (e) {
      recorded.push(`register() threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const message of recorded) issues.push({ path, message: `module "${entry}": ${message}` });
  }
  return issues;
}
