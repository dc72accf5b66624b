import { readFile } from "node:fs/promises";
import type { ConfigError } from "../../common/config-error.js";
import { type Disposable, watchFile } from "../../common/file-watch.js";
import type { Logger } from "../../common/logger.js";
import { err, ok, type Result } from "../../common/result.js";
import type { EndpointStore } from "./datastore.js";
import { DEFAULT_ENDPOINTS_SOURCE, DEFAULT_ENDPOINTS_YAML, parseEndpointsFile } from "./endpoints-file.js";

/** DiscoveryObserver hears each applied or rejected update (metrics, tests). */
export type DiscoveryObserver = (result: "applied" | "rejected") => void;

/**
 * StaticDiscovery feeds the store from a YAML endpoints file (or the embedded default) and
 * re-reads it when it changes. A bad edit is rejected and logged; the last good list keeps
 * serving, so a typo never empties the pool.
 */
export class StaticDiscovery {
  private watch: Disposable | undefined;

  private constructor(
    private readonly path: string | undefined,
    private readonly store: EndpointStore,
    private readonly logger: Logger,
    private readonly observer: DiscoveryObserver,
  ) {}

  /** start loads the file once (an error is returned, nothing is watched) and then watches it. */
  static async start(
    path: string | undefined,
    store: EndpointStore,
    logger: Logger,
    observer: DiscoveryObserver = () => {},
  ): Promise<Result<StaticDiscovery, ConfigError>> {
    const discovery = new StaticDiscovery(path, store, logger, observer);
    const first = await discovery.load();
    if (!first.ok) return err(first.error);
    if (path !== undefined) discovery.watch = watchFile(path, () => void discovery.reload());
    return ok(discovery);
  }

  private get source(): string {
    return this.path ?? DEFAULT_ENDPOINTS_SOURCE;
  }

  private async load(): Promise<Result<number, ConfigError>> {
    let text = DEFAULT_ENDPOINTS_YAML;
    if (this.path !== undefined) {
      try {
        text = await readFile(this.path, "utf8");
      } catch (e) {
        return err({
          source: this.source,
          issues: [{ path: "", message: `cannot read endpoints file: ${(e as Error).message}` }],
        });
      }
    }
    const parsed = parseEndpointsFile(text);
    if (!parsed.ok) return err({ source: this.source, issues: parsed.error });
    const { added, removed } = this.store.replaceAll(parsed.value);
    this.logger.info({ source: this.source, endpoints: parsed.value.length, added, removed }, "endpoints loaded");
    return ok(parsed.value.length);
  }

  /** reload re-reads the file; on error the current endpoints stay. */
  async reload(): Promise<boolean> {
    const result = await this.load();
    if (!result.ok) {
      this.logger.error(
        { source: this.source, issues: result.error.issues },
        "endpoints file rejected; keeping the previous endpoints",
      );
    }
    this.observer(result.ok ? "applied" : "rejected");
    return result.ok;
  }

  stop(): void {
    this.watch?.dispose();
    this.watch = undefined;
  }
}
