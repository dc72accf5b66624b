import { KubeConfig } from "@kubernetes/client-node";
import type { ConfigError } from "../../common/config-error.js";
import { createLogger, type Logger } from "../../common/logger.js";
import { err, ok, type Result } from "../../common/result.js";
import { packageVersion } from "../../common/version.js";
import { EXT_PROC_SERVICE } from "../../extproc/transport/service.js";
import { ServingStatus } from "../../runtime/health/health-service.js";
import { ExtProcRuntime, type RuntimePorts } from "../../runtime/extproc-runtime.js";
import { closePlugins } from "../../plugin/close.js";
import { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_YAML } from "../config/default-config.js";
import { type LoadedEppConfig, loadConfigFile, loadConfigText } from "../config/loader.js";
import { EndpointStore } from "../datalayer/datastore.js";
import { KubernetesDiscovery } from "../datalayer/kubernetes/pool-discovery.js";
import { MetricsCollector } from "../datalayer/metrics/collector.js";
import { StaticDiscovery } from "../datalayer/static-discovery.js";
import type { EppPluginHandle, EppRegistry, Hasher64 } from "../api/handle.js";
import { EppMetrics } from "../metrics.js";
import { newInTreeRegistry } from "../plugins/in-tree.js";
import { loadHasher } from "../plugins/prefix/hashing.js";
import { EppStreamProcessor, type EppEnvironment } from "../requestcontrol/stream-processor.js";
import { FlowControlAdmission } from "../flowcontrol/admission.js";
import { Director } from "../requestcontrol/director.js";
import { ObjectiveStore } from "../requestcontrol/objectives.js";
import type { EppServerOptions } from "./options.js";

/** EppServerDeps lets embedders and tests supply a registry, logger, metrics or randomness. */
export interface EppServerDeps {
  readonly registry?: EppRegistry;
  readonly logger?: Logger;
  readonly metrics?: EppMetrics;
  readonly random?: () => number;
  readonly hasher?: Hasher64;
}

/** HEALTH_LIVENESS and HEALTH_READINESS are the gRPC health service names the protocol requires. */
export const HEALTH_LIVENESS = "liveness";
export const HEALTH_READINESS = "readiness";

interface Discovery {
  stop(): void | Promise<void>;
}

/**
 * EppServer is a running endpoint picker: discovery feeding the endpoint store, the metrics
 * collector, the config's plugins, and the ext_proc, health and ops listeners. Readiness (gRPC
 * `readiness`, the ext_proc service name and /readyz) turns SERVING once discovery has synced.
 */
export class EppServer {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly options: EppServerOptions,
    readonly logger: Logger,
    readonly metrics: EppMetrics,
    readonly config: LoadedEppConfig,
    readonly store: EndpointStore,
    private readonly discovery: Discovery,
    private readonly collector: MetricsCollector | undefined,
    private readonly objectives: ObjectiveStore,
    private readonly runtime: ExtProcRuntime,
  ) {}

  /** ports are the bound ports (useful when 0 was asked for). */
  get ports(): RuntimePorts {
    return this.runtime.ports;
  }

  /** inFlightStreams is the number of ext_proc streams open now. */
  get inFlightStreams(): number {
    return this.runtime.inFlightStreams;
  }

  /**
   * start loads the config, starts discovery and scraping, and listens. A bad config, endpoints
   * or objectives file is an error value and nothing listens; a port that cannot be bound throws.
   */
  static async start(options: EppServerOptions, deps: EppServerDeps = {}): Promise<Result<EppServer, ConfigError>> {
    const logger = deps.logger ?? createLogger(options.logLevel, "epp");
    const metrics = deps.metrics ?? new EppMetrics();
    const random = deps.random ?? Math.random;
    const store = new EndpointStore(options.metricsStalenessMs);
    metrics.observeEndpoints(store);
    const handle: EppPluginHandle = {
      logger,
      hasher: deps.hasher ?? (await loadHasher()),
      random,
      endpoints: () => store.list(),
    };
    const context = { registry: deps.registry ?? newInTreeRegistry(), handle };
    const loaded = options.configFile
      ? await loadConfigFile(options.configFile, context)
      : await loadConfigText(
          options.configText ?? DEFAULT_CONFIG_YAML,
          options.configText ? "--config-text" : DEFAULT_CONFIG_SOURCE,
          context,
        );
    if (!loaded.ok) return err(loaded.error);
    const config = loaded.value;
    for (const warning of config.warnings) logger.warn({ config: config.source }, warning);

    const cleanup: (() => void | Promise<void>)[] = [() => closePlugins(config.plugins, logger)];
    const abort = async (e: ConfigError) => {
      for (const step of cleanup.reverse()) await step();
      return err(e);
    };

    let objectives = new ObjectiveStore();
    if (options.objectivesFile) {
      const fromFile = await ObjectiveStore.fromFile(options.objectivesFile, logger);
      if (!fromFile.ok) return abort(fromFile.error);
      objectives = fromFile.value;
      cleanup.push(() => objectives.stop());
    }

    const onDiscovery = (source: string) => (result: "applied" | "rejected") =>
      metrics.discoveryUpdates.inc({ source, result });
    let discovery: Discovery;
    if (options.pool) {
      const kubeConfig = new KubeConfig();
      try {
        if (options.pool.kubeconfig) kubeConfig.loadFromFile(options.pool.kubeconfig);
        else kubeConfig.loadFromDefault();
      } catch (e) {
        return abort({
          source: options.pool.kubeconfig ?? "kubeconfig",
          issues: [{ path: "", message: (e as Error).message }],
        });
      }
      if (!kubeConfig.getCurrentCluster()) {
        return abort({
          source: "kubeconfig",
          issues: [{ path: "", message: "no Kubernetes cluster configured (use --kubeconfig)" }],
        });
      }
      const k8s = new KubernetesDiscovery({
        kubeConfig,
        namespace: options.pool.poolNamespace,
        poolName: options.pool.poolName,
        poolGroup: options.pool.poolGroup,
        store,
        logger,
        observer: onDiscovery("kubernetes"),
      });
      k8s.start();
      discovery = k8s;
    } else {
      const started = await StaticDiscovery.start(options.endpointsFile, store, logger, onDiscovery("file"));
      if (!started.ok) return abort(started.error);
      discovery = started.value;
    }
    cleanup.push(() => discovery.stop());

    let collector: MetricsCollector | undefined;
    if (config.metrics) {
      collector = new MetricsCollector(store, config.metrics.source, config.metrics.extractor, {
        intervalMs: options.refreshMetricsIntervalMs,
        timeoutMs: options.metricsScrapeTimeoutMs,
        logger,
        onScrape: (result) => metrics.scrapes.inc({ result }),
      });
      collector.start();
      const c = collector;
      cleanup.push(() => c.stop());
    }

    const admission = config.flowControl
      ? new FlowControlAdmission(config.flowControl, store, config.saturationDetector, metrics)
      : undefined;
    if (admission) cleanup.push(() => admission.close());
    const director = new Director({
      admission,
      config,
      endpoints: store,
      objectives,
      metrics,
      random,
      subsetFilter: options.subsetFilter,
      logger,
    });
    const env: EppEnvironment = {
      director,
      metrics,
      logger,
      settings: {
        maxBodyBytes: options.maxBodyBytes,
        maxResponseBufferBytes: options.maxResponseBufferBytes,
        streamingByDefault: options.streaming,
      },
    };
    metrics.info.set({ commit: process.env["BUILD_COMMIT"] ?? "unknown", build_ref: packageVersion() }, 1);

    let runtime: ExtProcRuntime;
    try {
      runtime = await ExtProcRuntime.start("epp", options, {
        registry: metrics.registry,
        logger,
        healthServices: [HEALTH_LIVENESS, HEALTH_READINESS, EXT_PROC_SERVICE],
        createHandler: (sink) => new EppStreamProcessor(env, sink),
        observerFor: () => ({ opened: () => metrics.activeStreams.inc(), closed: () => metrics.activeStreams.dec() }),
        ready: () => store.synced,
      });
    } catch (e) {
      for (const step of cleanup.reverse()) await step();
      throw e;
    }
    const server = new EppServer(options, logger, metrics, config, store, discovery, collector, objectives, runtime);
    runtime.health.set(HEALTH_LIVENESS, ServingStatus.SERVING);
    void store.whenSynced().then(() => {
      if (server.stopping || !runtime.isAccepting) return;
      for (const service of ["", HEALTH_READINESS, EXT_PROC_SERVICE])
        runtime.health.set(service, ServingStatus.SERVING);
      logger.info({ endpoints: store.list().length }, "endpoints synced; ready");
    });
    logger.info(
      { ports: runtime.ports, transport: options.transport, config: config.source, version: packageVersion() },
      "epp serving",
    );
    return ok(server);
  }

  /**
   * stop drains: health goes NOT_SERVING, new streams are refused, open streams get up to
   * drainTimeoutMs, then discovery, scraping and plugins stop.
   */
  stop(drainTimeoutMs = this.options.drainTimeoutMs): Promise<void> {
    this.stopping ??= this.drain(drainTimeoutMs);
    return this.stopping;
  }

  private async drain(drainTimeoutMs: number): Promise<void> {
    this.runtime.health.setAll(ServingStatus.NOT_SERVING);
    await this.runtime.stop(drainTimeoutMs);
    this.collector?.stop();
    await this.discovery.stop();
    this.objectives.stop();
    await closePlugins(this.config.plugins, this.logger);
    this.logger.info("stopped");
  }
}
