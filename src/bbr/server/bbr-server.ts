import type { Server as HttpServer } from "node:http";
import * as grpc from "@grpc/grpc-js";
import { createLogger, type Logger } from "../../common/logger.js";
import { err, ok, type Result } from "../../common/result.js";
import { packageVersion } from "../../common/version.js";
import type {
  ProcessingRequest,
  ProcessingResponse,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import {
  bindServer,
  createGrpcServer,
  EXT_PROC_SERVICE,
  extProcServiceDefinition,
  serveExtProcStream,
} from "../../extproc/grpc-transport.js";
import {
  HealthState,
  healthServiceDefinition,
  healthServiceImplementation,
  ServingStatus,
} from "../../health/health-service.js";
import { startOpsHttpServer } from "../../ops/http-endpoints.js";
import { loadServingTls, type ServingTls } from "../../ops/tls/serving-credentials.js";
import { compileChains, type FailureReporter } from "../chain.js";
import { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_YAML } from "../config/default-config.js";
import {
  type ConfigError,
  closePlugins,
  type LoadContext,
  type LoadedConfig,
  loadConfigFile,
  loadConfigText,
} from "../config/loader.js";
import type { BbrRegistry } from "../framework/plugin-handle.js";
import { BbrMetrics } from "../metrics.js";
import { newInTreeRegistry } from "../plugins/in-tree.js";
import type { BbrEnvironment, BbrSettings } from "../settings.js";
import { adminRoute } from "../admin/admin-route.js";
import { ConfigReloader, ConfigSnapshots, type Lease, type ReloadResult } from "./config-reloader.js";
import type { BbrServerOptions } from "./options.js";
import { bbrStreamFactory } from "./stream-factory.js";

type ExtProcCall = grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>;

/** BbrServerDeps lets embedders and tests supply a registry, logger or metrics. */
export interface BbrServerDeps {
  readonly registry?: BbrRegistry;
  readonly logger?: Logger;
  readonly metrics?: BbrMetrics;
}

/** BoundPorts are the ports actually listened on (useful when 0 was asked for). */
export interface BoundPorts {
  readonly grpc: number;
  readonly health: number;
  readonly metrics: number;
}

// Room for protobuf framing and headers on top of the largest body a message may carry.
const MESSAGE_OVERHEAD_BYTES = 1024 * 1024;

/**
 * BbrServer is a running BBR: the ext_proc gRPC server, the gRPC health server and the HTTP
 * ops port, sharing one config snapshot.
 */
export class BbrServer implements BbrEnvironment {
  /** snapshots holds the serving config; each stream keeps the generation it opened on. */
  readonly snapshots: ConfigSnapshots;
  private reloader: ConfigReloader | undefined;
  private ready = false;
  private stopping: Promise<void> | undefined;
  private activeStreams = 0;

  private constructor(
    readonly options: BbrServerOptions,
    readonly logger: Logger,
    readonly metrics: BbrMetrics,
    loaded: LoadedConfig,
    readonly health: HealthState,
    private readonly grpcServer: grpc.Server,
    private readonly healthServer: grpc.Server,
    private opsServer: HttpServer | undefined,
    public ports: BoundPorts,
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

    metrics.info.set({ commit: process.env["BUILD_COMMIT"] ?? "unknown", build_ref: packageVersion() }, 1);
    const health = new HealthState([EXT_PROC_SERVICE]);
    const limit = options.maxBodyBytes + MESSAGE_OVERHEAD_BYTES;
    const grpcServer = createGrpcServer({ maxReceiveMessageBytes: limit, maxSendMessageBytes: 2 * limit });
    const healthServer = new grpc.Server();
    const noPorts = { grpc: 0, health: 0, metrics: 0 };
    const server = new BbrServer(
      options,
      logger,
      metrics,
      loaded.value,
      health,
      grpcServer,
      healthServer,
      undefined,
      noPorts,
      tls,
    );

    grpcServer.addService(extProcServiceDefinition, {
      Process: (call: ExtProcCall) => server.serveStream(call),
    });
    healthServer.addService(healthServiceDefinition, healthServiceImplementation(health));
    try {
      const grpcPort = await bindServer(grpcServer, options.bindAddress, options.grpcPort, tls?.credentials);
      const healthPort = await bindServer(healthServer, options.bindAddress, options.grpcHealthPort);
      const admin = adminRoute(
        { snapshots: server.snapshots, logger },
        // Evaluate carries a body; bytes travel base64-encoded in JSON.
        { expose: options.exposeAdminApi, readMaxBytes: 2 * options.maxBodyBytes + MESSAGE_OVERHEAD_BYTES },
      );
      const ops = await startOpsHttpServer(
        { registry: metrics.registry, ready: () => server.ready, extraRoutes: [admin] },
        options.bindAddress,
        options.metricsPort,
      );
      server.opsServer = ops.server;
      server.ports = { grpc: grpcPort, health: healthPort, metrics: ops.port };
    } catch (e) {
      await server.forceClose();
      throw e;
    }
    if (options.configPath !== undefined && options.watchConfig) {
      server.reloader = new ConfigReloader({ path: options.configPath, context, snapshots: server.snapshots, logger });
      server.reloader.start();
    }
    server.ready = true;
    health.setAll(ServingStatus.SERVING);
    logger.info(
      { ports: server.ports, config: loaded.value.source, version: packageVersion(), tls: server.tlsSummary() },
      "bbr serving",
    );
    return ok(server);
  }

  settings(): BbrSettings {
    return this.snapshots.settings();
  }

  /** config is the loaded config currently serving new streams. */
  get config(): LoadedConfig {
    return this.snapshots.generation.loaded;
  }

  /** reloadConfig re-reads --config now (the file watch does this on change). */
  reloadConfig(): Promise<ReloadResult> | undefined {
    return this.reloader?.reload();
  }

  private serveStream(call: ExtProcCall): void {
    if (!this.ready) {
      // Draining: refuse new streams so Envoy picks another replica.
      call.emit("error", { code: grpc.status.UNAVAILABLE, details: "bbr is shutting down" });
      return;
    }
    // The processor reads settings() right after opened(), in the same tick, so the lease and
    // the settings it runs with are of the same generation.
    let lease: Lease | undefined;
    serveExtProcStream(call, bbrStreamFactory(this, call.metadata, this.options.tracing), {
      opened: () => {
        lease = this.snapshots.lease();
        this.activeStreams++;
        this.metrics.activeStreams.inc();
      },
      closed: () => {
        lease?.release();
        this.activeStreams--;
        this.metrics.activeStreams.dec();
      },
    });
  }

  /** tlsSummary says what the ext_proc port serves: false for plaintext, else the certificate. */
  tlsSummary(): false | { source: string; fingerprint256: string; validTo: string } {
    if (!this.tls) return false;
    const { fingerprint256, validTo } = this.tls.certificate();
    return { source: this.tls.source, fingerprint256, validTo };
  }

  /** inFlightStreams is the number of ext_proc streams open now. */
  get inFlightStreams(): number {
    return this.activeStreams;
  }

  /**
   * stop drains: readiness and health go NOT_SERVING, new streams are refused, open streams
   * get up to drainTimeoutMs to finish, then everything closes.
   */
  stop(drainTimeoutMs = this.options.drainTimeoutMs): Promise<void> {
    this.stopping ??= this.drain(drainTimeoutMs);
    return this.stopping;
  }

  private async drain(drainTimeoutMs: number): Promise<void> {
    this.ready = false;
    this.health.setAll(ServingStatus.NOT_SERVING);
    this.logger.info({ inFlight: this.activeStreams, drainTimeoutMs }, "draining");
    const graceful = new Promise<void>((resolve) => this.grpcServer.tryShutdown(() => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), drainTimeoutMs);
    });
    const result = await Promise.race([graceful, timeout]);
    clearTimeout(timer);
    if (result === "timeout") this.logger.warn({ inFlight: this.activeStreams }, "drain timeout; closing open streams");
    await this.forceClose();
    this.logger.info("stopped");
  }

  private async forceClose(): Promise<void> {
    this.grpcServer.forceShutdown();
    this.healthServer.forceShutdown();
    this.tls?.dispose();
    const ops = this.opsServer;
    if (ops) {
      ops.closeAllConnections();
      await new Promise<void>((resolve) => ops.close(() => resolve()));
    }
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
    }),
    ownedHeaders: loaded.ownedHeaders,
    maxBodyBytes: options.maxBodyBytes,
    maxResponseBufferBytes: options.maxResponseBufferBytes,
    maxHeaderValueBytes: options.maxHeaderValueBytes,
    streamingByDefault: options.streaming,
  };
}
