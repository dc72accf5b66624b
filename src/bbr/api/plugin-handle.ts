import type { Logger } from "../../common/logger.js";
import type { Disposable } from "../../common/file-watch.js";
import type { Registry } from "../../plugin/registry.js";
import type { BbrMetrics } from "../metrics.js";

/** BbrPluginHandle is what a BBR plugin factory receives from the framework. */
export interface BbrPluginHandle {
  readonly logger: Logger;
  readonly metrics: BbrMetrics;
  /** resolvePath resolves a path from the config relative to the config file's directory. */
  resolvePath(path: string): string;
  /**
   * watchFile calls onChange when the file changes (ConfigMap symlink swaps included). The
   * plugin disposes the watch in its close().
   */
  watchFile(path: string, onChange: () => void): Disposable;
}

/** BbrRegistry is the registry type of BBR plugins. */
export type BbrRegistry = Registry<BbrPluginHandle>;
