import * as grpc from "@grpc/grpc-js";
import type {
  ProcessingRequest,
  ProcessingResponse,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import {
  decodeRequest,
  decodeResponse,
  EXT_PROC_PROCESS_PATH,
  type ExtProcMessageLimits,
  encodeRequest,
} from "./service.js";
import { encodeResponseTransient } from "../wire/response-encoder.js";
import type { CallHeaders, StreamService } from "./stream.js";
import { StreamDriver, type StreamWire } from "./stream-driver.js";
import {
  type DrainOutcome,
  type ExtProcTransport,
  type ExtProcTransportOptions,
  type TlsIdentitySource,
  untilDeadline,
} from "./transport.js";

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** extProcServiceDefinition serves the buf-generated protobuf-es messages through grpc-js. */
export const extProcServiceDefinition: grpc.ServiceDefinition = {
  Process: {
    path: EXT_PROC_PROCESS_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: ProcessingRequest) => asBuffer(encodeRequest(m)),
    requestDeserialize: decodeRequest,
    // grpc-js copies the serialised message into its frame before it returns, so the encode can
    // go to the encoder's reused scratch buffer: no allocation per answer.
    responseSerialize: (m: ProcessingResponse) => asBuffer(encodeResponseTransient(m)),
    responseDeserialize: decodeResponse,
  },
};

type ExtProcCall = grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>;

/** GrpcCallWire moves one grpc-js call's messages for its StreamDriver. */
class GrpcCallWire implements StreamWire {
  constructor(private readonly call: ExtProcCall) {}
  write(response: ProcessingResponse): void {
    this.call.write(response);
  }
  end(): void {
    this.call.end();
  }
  endWithStatus(code: number, details: string): void {
    this.call.emit("error", { code, details });
  }
  pause(): void {
    this.call.pause();
  }
  resume(): void {
    this.call.resume();
  }
}

/** MetadataHeaders reads a call's grpc-js metadata as CallHeaders (text values only). */
class MetadataHeaders implements CallHeaders {
  constructor(private readonly metadata: grpc.Metadata) {}
  get(key: string): string | undefined {
    const value = this.metadata.get(key)[0];
    return typeof value === "string" ? value : undefined;
  }
  keys(): string[] {
    return Object.keys(this.metadata.getMap());
  }
}

/** serveExtProcStream runs one grpc-js duplex call through a StreamDriver. */
function serveExtProcStream(call: ExtProcCall, service: StreamService): void {
  let driver: StreamDriver;
  try {
    driver = new StreamDriver(new GrpcCallWire(call), service, new MetadataHeaders(call.metadata));
  } catch (e) {
    call.emit("error", { code: grpc.status.INTERNAL, details: `processing failed: ${(e as Error).message}` });
    return;
  }
  call.on("data", (message: ProcessingRequest) => driver.receive(message));
  call.on("end", () => driver.peerEnd());
  const cancel = () => driver.cancel();
  call.on("cancelled", cancel);
  // grpc-js reports transport errors here; the stream is gone, as with a cancel.
  call.on("error", cancel);
}

/** createGrpcServer builds a grpc-js server with explicit message limits. */
export function createGrpcServer(limits: ExtProcMessageLimits): grpc.Server {
  return new grpc.Server({
    "grpc.max_receive_message_length": limits.maxReceiveMessageBytes,
    "grpc.max_send_message_length": limits.maxSendMessageBytes,
    // Envoy keeps long-lived HTTP/2 connections to the processor; answer its pings.
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 10_000,
  });
}

/** bindServer binds address:port and resolves the bound port (port 0 picks a free one). */
export function bindServer(
  server: grpc.Server,
  address: string,
  port: number,
  credentials = grpc.ServerCredentials.createInsecure(),
): Promise<number> {
  return new Promise((resolve, reject) => {
    const host = address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
    server.bindAsync(`${host}:${port}`, credentials, (error, boundPort) => {
      if (error) reject(error);
      else resolve(boundPort);
    });
  });
}

type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/** grpcTlsCredentials serves a TlsIdentitySource through a grpc-js certificate provider. */
function grpcTlsCredentials(source: TlsIdentitySource): grpc.ServerCredentials {
  const listeners = new Map<IdentityListener, () => void>();
  const provider: grpc.experimental.CertificateProvider = {
    addIdentityCertificateListener(listener) {
      listeners.set(
        listener,
        source.onRotate((identity) => listener(identity)),
      );
      // Deferred: grpc-js registers its own watcher only after this call returns.
      process.nextTick(() => {
        if (listeners.has(listener)) listener(source.current());
      });
    },
    removeIdentityCertificateListener(listener) {
      listeners.get(listener)?.();
      listeners.delete(listener);
    },
    addCaCertificateListener() {
      /* server-only TLS: no client CA */
    },
    removeCaCertificateListener() {},
  };
  // grpc-js names its parameters the other way round: the first provider is the identity.
  return grpc.experimental.createCertificateProviderServerCredentials(provider, null, false);
}

/** GrpcJsTransport serves ext_proc on @grpc/grpc-js (the default transport). */
export class GrpcJsTransport implements ExtProcTransport {
  readonly kind = "grpc" as const;
  private readonly server: grpc.Server;
  private draining = false;

  constructor(private readonly options: ExtProcTransportOptions) {
    this.server = createGrpcServer(options.limits);
    this.server.addService(extProcServiceDefinition, { Process: (call: ExtProcCall) => this.serve(call) });
  }

  listen(address: string, port: number): Promise<number> {
    const tls = this.options.tls;
    return bindServer(this.server, address, port, tls ? grpcTlsCredentials(tls) : undefined);
  }

  private serve(call: ExtProcCall): void {
    if (this.draining) {
      // Draining: refuse new streams so Envoy picks another replica.
      call.emit("error", { code: grpc.status.UNAVAILABLE, details: `${this.options.name} is shutting down` });
      return;
    }
    serveExtProcStream(call, this.options.service);
  }

  drain(deadlineMs: number): Promise<DrainOutcome> {
    this.draining = true;
    return untilDeadline(new Promise<void>((resolve) => this.server.tryShutdown(() => resolve())), deadlineMs);
  }

  async forceClose(): Promise<void> {
    this.draining = true;
    this.server.forceShutdown();
  }
}
