import type { Server as HttpServer } from "node:http";
import * as grpc from "@grpc/grpc-js";
import type { Registry } from "prom-client";
import type { Logger } from "../common/logger.js";
import { bindServer } from "../extproc/transport/grpc.js";
import type {
  CallHeaders,
  ResponseSink,
  StreamHandler,
  StreamObserver,
  StreamService,
} from "../extproc/transport/stream.js";
import { openTransport } from "../extproc/transport/open.js";
import type { ExtProcTransport, TlsIdentitySource } from "../extproc/transport/transport.js";
import { HealthState, healthServiceDefinition, healthServiceImplementation } from "./health/health-service.js";
import { type ExtraRoute, startOpsHttpServer } from "./ops/http-endpoints.js";
import type { ServerOptions } from "./server-flags.js";

/** RuntimePorts are the ports actually listened on (useful when 0 was asked for). */
export interface RuntimePorts {
  readonly grpc: number;
  readonly health: number;
  readonly metrics: number;
}

/** RuntimeListen is where and how the runtime listens; a binary's ServerOptions fit as they are. */
export type RuntimeListen = Pick<
  ServerOptions,
  "bindAddress" | "grpcPort" | "grpcHealthPort" | "metricsPort" | "transport" | "maxBodyBytes"
>;

/** MESSAGE_OVERHEAD_BYTES is room for protobuf framing and headers on top of the largest body a message carries. */
export const MESSAGE_OVERHEAD_BYTES = 1024 * 1024;

/** ExtProcRuntimeOptions wire the three listeners every ext_proc binary runs to what it serves. */
export interface ExtProcRuntimeOptions {
  readonly registry: Registry;
  readonly logger: Logger;
  /** Services the gRPC health server knows besides "" (all start NOT_SERVING). */
  readonly healthServices: readonly string[];
  /** createHandler builds a stream's handler; headers are the call's metadata (e.g. trace context). */
  readonly createHandler: (sink: ResponseSink, headers: CallHeaders) => StreamHandler;
  /** observerFor gives each stream its observer (per-stream state such as a config lease). */
  readonly observerFor?: () => StreamObserver;
  /** ready adds a component condition to /readyz (e.g. "endpoints discovered"). */
  readonly ready?: () => boolean;
  /** tls secures the ext_proc port, following certificate rotations; the health and ops ports stay plaintext. */
  readonly tls?: TlsIdentitySource | undefined;
  /** extraRoutes add handlers (an admin API) to the ops port. */
  readonly extraRoutes?: readonly ExtraRoute[];
}

/**
 * ExtProcRuntime is the transport shell of an ext_proc server: the ext_proc listener (on the
 * chosen transport), the gRPC health server and the HTTP ops port, with drain on stop. What a
 * stream does is the handler factory's business, so BBR and EPP can share it.
 */
export class ExtProcRuntime {
  private accepting = false;
  private stopping: Promise<void> | undefined;
  private activeStreams = 0;
  private opsServer: HttpServer | undefined;
  private transport: ExtProcTransport | undefined;
  readonly health: HealthState;
  ports: RuntimePorts = { grpc: 0, health: 0, metrics: 0 };

  private constructor(
    private readonly options: ExtProcRuntimeOptions,
    private readonly healthServer: grpc.Server,
  ) {
    this.health = new HealthState(options.healthServices);
  }

  /**
   * start binds all three listeners; on a bind failure everything is closed and the error thrown.
   * name appears in logs and in the error a draining server answers new streams with.
   */
  static async start(name: string, listen: RuntimeListen, options: ExtProcRuntimeOptions): Promise<ExtProcRuntime> {
    const runtime = new ExtProcRuntime(options, new grpc.Server());
    runtime.healthServer.addService(healthServiceDefinition, healthServiceImplementation(runtime.health));
    const service: StreamService = { observe: () => runtime.observeStream(), createHandler: options.createHandler };
    const maxMessageBytes = listen.maxBodyBytes + MESSAGE_OVERHEAD_BYTES;
    try {
      runtime.transport = await openTransport(listen.transport, {
        name,
        // Sends may be twice as large as receives: a body plus its mutation.
        limits: { maxReceiveMessageBytes: maxMessageBytes, maxSendMessageBytes: 2 * maxMessageBytes },
        service,
        tls: options.tls,
        logger: options.logger,
      });
      const grpcPort = await runtime.transport.listen(listen.bindAddress, listen.grpcPort);
      const healthPort = await bindServer(runtime.healthServer, listen.bindAddress, listen.grpcHealthPort);
      const ops = await startOpsHttpServer(
        {
          registry: options.registry,
          ready: () => runtime.accepting && (options.ready?.() ?? true),
          ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
        },
        listen.bindAddress,
        listen.metricsPort,
      );
      runtime.opsServer = ops.server;
      runtime.ports = { grpc: grpcPort, health: healthPort, metrics: ops.port };
    } catch (e) {
      await runtime.forceClose();
      throw e;
    }
    runtime.accepting = true;
    return runtime;
  }

  /** inFlightStreams is the number of ext_proc streams open now. */
  get inFlightStreams(): number {
    return this.activeStreams;
  }

  /** isAccepting is false once a drain started. */
  get isAccepting(): boolean {
    return this.accepting;
  }

  /** observeStream counts a stream for drain and readiness, then tells the caller's observer. */
  private observeStream(): StreamObserver {
    const observer = this.options.observerFor?.();
    return {
      opened: () => {
        this.activeStreams++;
        observer?.opened();
      },
      closed: () => {
        this.activeStreams--;
        observer?.closed();
      },
    };
  }

  /**
   * stop drains: new streams are refused, open streams get up to drainTimeoutMs to finish,
   * then every listener closes. The caller flips health statuses first.
   */
  stop(drainTimeoutMs: number): Promise<void> {
    this.stopping ??= this.drain(drainTimeoutMs);
    return this.stopping;
  }

  private async drain(drainTimeoutMs: number): Promise<void> {
    this.accepting = false;
    const log = this.options.logger;
    log.info({ inFlight: this.activeStreams, drainTimeoutMs }, "draining");
    const outcome = await this.transport?.drain(drainTimeoutMs);
    if (outcome === "timeout") log.warn({ inFlight: this.activeStreams }, "drain timeout; closing open streams");
    await this.forceClose();
  }

  private async forceClose(): Promise<void> {
    await this.transport?.forceClose();
    this.healthServer.forceShutdown();
    const ops = this.opsServer;
    if (ops) {
      ops.closeAllConnections();
      await new Promise<void>((resolve) => ops.close(() => resolve()));
    }
  }
}
