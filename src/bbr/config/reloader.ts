import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Disposable } from "../../common/file-watch.js";
import { watchFile } from "../../common/file-watch.js";
import { dirname, resolve } from "node:path";
import { formatConfigError } from "../../common/config-error.js";
import type { Logger } from "../../common/logger.js";
import { closePlugins } from "../../plugin/close.js";
import type { BbrSettings } from "../pipeline/settings.js";
import { type LoadContext, type LoadedConfig, loadConfigText } from "./loader.js";

/** ConfigGeneration is one loaded config, its compiled settings and the streams using it. */
export interface ConfigGeneration {
  readonly id: number;
  readonly loaded: LoadedConfig;
  readonly settings: BbrSettings;
}

/** Lease keeps a generation's plugin instances open until released. */
export interface Lease {
  readonly generation: ConfigGeneration;
  release(): void;
}

interface Tracked {
  readonly generation: ConfigGeneration;
  users: number;
  retired: boolean;
}

/**
 * ConfigSnapshots holds the serving config and swaps it atomically. Each stream takes a lease
 * on the generation current when it opens and keeps that config to the end; a replaced
 * generation's plugin instances are closed once its last lease is released.
 */
export class ConfigSnapshots {
  private current: Tracked;
  private readonly live = new Set<Tracked>();
  private nextId = 1;

  constructor(
    initial: LoadedConfig,
    private readonly compile: (loaded: LoadedConfig) => BbrSettings,
    private readonly logger: Logger,
  ) {
    this.current = this.track(initial);
  }

  private track(loaded: LoadedConfig): Tracked {
    const tracked: Tracked = {
      generation: { id: this.nextId++, loaded, settings: this.compile(loaded) },
      users: 0,
      retired: false,
    };
    this.live.add(tracked);
    return tracked;
  }

  /** generation is the config new streams start on. */
  get generation(): ConfigGeneration {
    return this.current.generation;
  }

  /** settings is the current generation's stream snapshot. */
  settings(): BbrSettings {
    return this.current.generation.settings;
  }

  /** lease pins the current generation (for a stream or an admin dry run). Release exactly once. */
  lease(): Lease {
    const tracked = this.current;
    tracked.users++;
    let released = false;
    return {
      generation: tracked.generation,
      release: () => {
        if (released) return;
        released = true;
        tracked.users--;
        if (tracked.retired && tracked.users === 0) void this.retire(tracked);
      },
    };
  }

  /** swap makes `loaded` current for new streams; the old generation closes when its streams end. */
  swap(loaded: LoadedConfig): ConfigGeneration {
    const old = this.current;
    this.current = this.track(loaded);
    old.retired = true;
    if (old.users === 0) void this.retire(old);
    return this.current.generation;
  }

  /** inUse counts generations still open (the current one and retired ones with streams). */
  get inUse(): number {
    return this.live.size;
  }

  private async retire(tracked: Tracked): Promise<void> {
    if (!this.live.delete(tracked)) return;
    const { id, loaded } = tracked.generation;
    this.logger.debug({ generation: id }, "closing retired config");
    await closePlugins(loaded.plugins, this.logger);
  }

  /** closeAll closes every generation's instances (server stop). */
  async closeAll(): Promise<void> {
    const all = [...this.live];
    this.live.clear();
    for (const t of all) await closePlugins(t.generation.loaded.plugins, this.logger);
  }
}

/** ReloadResult is what one reload attempt did. */
export type ReloadResult =
  | { readonly result: "success"; readonly generation: number }
  | { readonly result: "unchanged" }
  | { readonly result: "failure"; readonly errors: string };

/** ConfigReloaderOptions configure watching one config file. */
export interface ConfigReloaderOptions {
  readonly path: string;
  readonly context: LoadContext;
  readonly snapshots: ConfigSnapshots;
  readonly logger: Logger;
  /** Wait this long after the last file event before reloading (editors write in bursts). */
  readonly debounceMs?: number;
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * ConfigReloader watches the config file (ConfigMap symlink swaps included), validates a new
 * version fully (plugins built, chains resolved) and swaps it in for new streams. An invalid
 * version keeps the last good config serving, is logged with every problem and counted as
 * bbr_config_reloads_total{result="failure"}. A rewrite with identical content does nothing.
 * Mapping files are watched by the plugins that read them.
 */
export class ConfigReloader {
  private watch: Disposable | undefined;
  private lastDigest: string | undefined;
  private running: Promise<ReloadResult> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: ConfigReloaderOptions) {
    try {
      this.lastDigest = digest(readFileSync(options.path, "utf8"));
    } catch {
      this.lastDigest = undefined;
    }
  }

  /** start begins watching. */
  start(): void {
    this.watch ??= watchFile(this.options.path, () => void this.reload(), this.options.debounceMs ?? 100);
  }

  /** stop ends watching; a reload in progress finishes but is not applied. */
  stop(): void {
    this.stopped = true;
    this.watch?.dispose();
    this.watch = undefined;
  }

  /**
   * reload re-reads the file now. Calls during a reload coalesce into one more run after it,
   * so the last write always wins and loads never overlap.
   */
  reload(): Promise<ReloadResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.reload();
      }
    });
    return this.running;
  }

  private async runOnce(): Promise<ReloadResult> {
    const { path, context, snapshots, logger } = this.options;
    const counter = context.metrics.configReloads;
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      // Mid-swap a ConfigMap file can be briefly absent; the next event brings it back.
      const errors = `${path}: cannot read config: ${(e as Error).message}`;
      counter.inc({ result: "failure" });
      logger.error({ config: path, errors }, "config reload failed; keeping the last good config");
      return { result: "failure", errors };
    }
    const d = digest(text);
    if (d === this.lastDigest) return { result: "unchanged" };
    const loaded = await loadConfigText(text, path, dirname(resolve(path)), context);
    if (this.stopped) {
      if (loaded.ok) await closePlugins(loaded.value.plugins, logger);
      return { result: "unchanged" };
    }
    if (!loaded.ok) {
      const errors = formatConfigError(loaded.error);
      counter.inc({ result: "failure" });
      logger.error({ config: path, errors: errors.split("\n") }, "config reload failed; keeping the last good config");
      return { result: "failure", errors };
    }
    this.lastDigest = d;
    const generation = snapshots.swap(loaded.value);
    counter.inc({ result: "success" });
    for (const w of loaded.value.warnings) logger.warn({ config: path }, w);
    logger.info({ config: path, generation: generation.id }, "config reloaded");
    return { result: "success", generation: generation.id };
  }
}
