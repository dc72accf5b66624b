import type { Logger } from "../common/logger.js";
import type { Plugin } from "./plugin.js";

/** closePlugins releases every instance of a retired or failed config; a failing close is logged, not fatal. */
export async function closePlugins(plugins: readonly Plugin[], logger: Logger): Promise<void> {
  for (const p of plugins) {
    try {
      await p.close?.();
    } catch (e) {
      logger.warn({ plugin: p.typedName.name, err: (e as Error).message }, "plugin close failed");
    }
  }
}
