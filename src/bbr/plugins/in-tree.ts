import { type PluginTypeSpec, Registry } from "../../framework/registry.js";
import type { BbrPluginHandle, BbrRegistry } from "../framework/plugin-handle.js";
import { baseModelToHeaderType } from "./base-model-to-header/base-model-to-header.js";
import { bodyFieldToHeaderType } from "./body-field-to-header/body-field-to-header.js";

/**
 * newInTreeRegistry builds a registry holding every built-in BBR plugin type. Built
 * explicitly, so nothing registers itself at import time.
 */
export function newInTreeRegistry(): BbrRegistry {
  const registry = new Registry<BbrPluginHandle>();
  const specs: PluginTypeSpec<unknown, BbrPluginHandle>[] = [bodyFieldToHeaderType, baseModelToHeaderType];
  for (const spec of specs) {
    const added = registry.register(spec);
    // A failure here is a programming error in this file, caught by the registry test.
    if (!added.ok) throw new Error(added.error.message);
  }
  return registry;
}
