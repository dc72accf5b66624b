import { createLogger, type Logger } from "../../common/logger.js";
import { err, ok, type Result } from "../../common/result.js";
import { packageVersion } from "../../common/version.js";
import { EXT_PROC_SERVICE } from "../../extproc/transport/service.js";
import { type HealthState, ServingStatus } from "../../runtime/health/health-service.js";
import { loadServingTls, type ServingTls } from "../../runtime/tls/serving-credentials.js";
import { preloadTracing } from "../../runtime/tracing/lazy-tracing.js";
import { ExtProcRuntime, MESSAGE_OVERHEAD_BYTES, type RuntimePorts } from "../../runtime/extproc-runtime.js";
import { adminRoute } from "../admin/admin-route.js";
import type { ConfigError } from "../../common/config-error.js";
import { closePlugins } from "../../plugin/close.js";
import type { FailureReporter } from "../../plugin/runner.js";
import { histogramDurations } from "../../plugin/runner.js";
import { compileChains } from "../pipeline/chain.js";
import { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_YAML } from "../config/default-config.js";
import { type LoadContext, type LoadedConfig, loadConfigFile, loadConfigText } from "../config/loader.js";
import type { BbrRegistry } from "../api/plugin-handle.js";
import { BbrMetrics } from "../metrics.js";
import { newInTreeRegistry } from "../plugins/in-tree.js";
import type { BbrEnvironment, BbrSettings } from "../pipeline/settings.js";
import { ConfigReloader, ConfigSnapshots, type Lease, type ReloadResult } from "../config/reloader.js";
import type { BbrServerOptions } from "./options.js";
import { bbrStreamFactory } from "./stream-factory.js";

/** BbrServerDeps lets embedders and tests supply a registry, logger or metrics. */
export interface BbrServerDeps {
  readonly registry?: BbrRegistry;
  readonly logger?: Logger;
  readonly metrics?: BbrMetrics;
}

/** BoundPorts are the ports actually listened on (useful when 0 was asked for). */
export type BoundPorts = RuntimePorts;

/**
 * BbrServer is a running BBR: the shared ext_proc runtime (ext_proc gRPC, gRPC health, HTTP
 * ops port, drain) serving BBR stream processors over hot-reloadable config generations.
 */
export class BbrServer implements BbrEnvironment {
  /** snapshots holds the serving config; each stream keeps the generation it opened on. */
  readonly snapshots: ConfigSnapshots;
  private reloader: ConfigReloader | undefined;
  private runtime: ExtProcRuntime | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly options: BbrServerOptions,
    readonly logger: Logger,
    readonly metrics: BbrMetrics,
    loaded: LoadedConfig,
    private readonly tls: ServingTls | undefined,
  ) {
    this.snapshots = new ConfigSnapshots(loaded, (l) => settingsFrom(l, options, { metrics, logger }), logger);
  }

  /**
   * start loads the config and starts listening; a bad config is an error value, nothing listens.
   * A port that cannot be bound or an unusable TLS certificate throws (a start-up failure).
   */
  static async start(options: BbrServerOptions, deps: BbrServerDeps = {}): Promise<Result<BbrServer, ConfigError>> {
    const logger = deps.logger ?? createLogger(options.logLevel, "bbr");
    const metrics = deps.metrics ?? new BbrMetrics();
    const context: LoadContext = { registry: deps.registry ?? newInTreeRegistry(), logger, metrics };
    const loaded = options.configPath
      ? await loadConfigFile(options.configPath, context)
      : await loadConfigText(DEFAULT_CONFIG_YAML, DEFAULT_CONFIG_SOURCE, process.cwd(), context);
    if (!loaded.ok) return err(loaded.error);
    let tls: ServingTls | undefined;
    if (options.secureServing) {
      const loadedTls = loadServingTls({ certPath: options.certPath, keyPath: options.keyPath }, logger);
      if (!loadedTls.ok) {
        await closePlugins(loaded.value.plugins, logger);
        throw new Error(`TLS: ${loadedTls.error}`);
      }
      tls = loadedTls.value;
    }

    // An SDK registered before start (the usual `--import` of an OpenTelemetry setup) traces the first stream.
    if (options.tracing) await preloadTracing();
    metrics.info.set({ commit: process.env["BUILD_COMMIT"] ?? "unknown", build_ref: packageVersion() }, 1);
    const server = new BbrServer(options, logger, metrics, loaded.value, tls);
    try {
      server.runtime = await ExtProcRuntime.start("bbr", options, {
        registry: metrics.registry,
        logger,
        healthServices: [EXT_PROC_SERVICE],
        tls: tls?.identity,
        // The processor reads settings() when it is created, right after opened() took the
        // lease, in the same tick: lease and settings are of the same generation.
        createHandler: (sink, callHeaders) => bbrStreamFactory(server, callHeaders, options.tracing)(sink),
        observerFor: () => server.streamObserver(),
        extraRoutes: [
          adminRoute(
            { snapshots: server.snapshots, logger },
            // Evaluate carries a body; bytes travel base64-encoded in JSON.
            { expose: options.exposeAdminApi, readMaxBytes: 2 * options.maxBodyBytes + MESSAGE_OVERHEAD_BYTES },
          ),
        ],
      });
    } catch (e) {
      await server.releaseResources();
      throw e;
    }
    if (options.configPath !== undefined && options.watchConfig) {
      server.reloader = new ConfigReloader({ path: options.configPath, context, snapshots: server.snapshots, logger });
      server.reloader.start();
    }
    server.runtime.health.setAll(ServingStatus.SERVING);
    logger.info(
      {
        ports: server.ports,
        transport: options.transport,
        config: loaded.value.source,
        version: packageVersion(),
        tls: server.tlsSummary(),
      },
      "bbr serving",
    );
    return ok(server);
  }

  settings(): BbrSettings {
    return this.snapshots.settings();
  }

  /** ports are the bound ports. */
  get ports(): BoundPorts {
    return this.runtime?.ports ?? { grpc: 0, health: 0, metrics: 0 };
  }

  /** health is the gRPC health state (SERVING while accepting streams). */
  get health(): HealthState {
    return this.runtime!.health;
  }

  /** config is the loaded config currently serving new streams. */
  get config(): LoadedConfig {
    return this.snapshots.generation.loaded;
  }

  /** reloadConfig re-reads --config now (the file watch does this on change). */
  reloadConfig(): Promise<ReloadResult> | undefined {
    return this.reloader?.reload();
  }

  private streamObserver() {
    let lease: Lease | undefined;
    return {
      opened: () => {
        lease = this.snapshots.lease();
        this.metrics.activeStreams.inc();
      },
      closed: () => {
        lease?.release();
        this.metrics.activeStreams.dec();
      },
    };
  }

  /** tlsSummary says what the ext_proc port serves: false for plaintext, else the certificate. */
  tlsSummary(): false | { source: string; fingerprint256: string; validTo: string } {
    if (!this.tls) return false;
    const { fingerprint256, validTo } = this.tls.certificate();
    return { source: this.tls.source, fingerprint256, validTo };
  }

  /** inFlightStreams is the number of ext_proc streams open now. */
  get inFlightStreams(): number {
    return this.runtime?.inFlightStreams ?? 0;
  }

  /**
   * stop drains: readiness and health go NOT_SERVING, new streams are refused, open streams
   * get up to drainTimeoutMs to finish, then everything closes.
   */
  stop(drainTimeoutMs = this.options.drainTimeoutMs): Promise<void> {
    this.stopping ??= (async () => {
      this.runtime?.health.setAll(ServingStatus.NOT_SERVING);
      await this.runtime?.stop(drainTimeoutMs);
      await this.releaseResources();
      this.logger.info("stopped");
    })();
    return this.stopping;
  }

  private async releaseResources(): Promise<void> {
    this.tls?.dispose();
    this.reloader?.stop();
    await this.snapshots.closeAll();
  }
}

/** settingsFrom combines a loaded config with process options into a stream snapshot. */
export function settingsFrom(
  loaded: LoadedConfig,
  options: BbrServerOptions,
  observers: { readonly metrics: BbrMetrics; readonly logger: Logger },
): BbrSettings {
  const reportFailure: FailureReporter = (plugin, kind, error) => {
    const { type, name } = plugin.typedName;
    observers.metrics.pluginFailures.inc({ plugin_type: type, plugin_name: name, reason: kind });
    observers.logger.error(
      { plugin: name, type, reason: kind, err: error instanceof Error ? error.message : String(error) },
      "plugin failed",
    );
  };
  return {
    chains: compileChains(loaded.requestPlugins, loaded.responsePlugins, {
      policyOf: (plugin) => loaded.policies.get(plugin),
      reportFailure,
      durations: histogramDurations(observers.metrics.pluginDuration),
    }),
    ownedHeaders: loaded.ownedHeaders,
    maxBodyBytes: options.maxBodyBytes,
    maxResponseBufferBytes: options.maxResponseBufferBytes,
    maxHeaderValueBytes: options.maxHeaderValueBytes,
    streamingByDefault: options.streaming,
  };
}
