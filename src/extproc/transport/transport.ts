import type { Logger } from "../../common/logger.js";
import type { ExtProcMessageLimits } from "./service.js";
import type { StreamService } from "./stream.js";

/** TRANSPORT_KINDS are the transports an ext_proc server can serve on; the first is the default. */
export const TRANSPORT_KINDS = ["grpc", "connect"] as const;

/** TransportKind names a transport: grpc is @grpc/grpc-js, connect is @connectrpc/connect-node. */
export type TransportKind = (typeof TRANSPORT_KINDS)[number];

/** DEFAULT_TRANSPORT is grpc-js, measured the cheaper per exchange of the two. */
export const DEFAULT_TRANSPORT: TransportKind = "grpc";

/** TlsIdentity is a PEM certificate (chain) and its PEM private key. */
export interface TlsIdentity {
  readonly certificate: Buffer;
  readonly privateKey: Buffer;
}

/** TlsIdentitySource is the identity to serve now and its rotations (whoever watches the files). */
export interface TlsIdentitySource {
  current(): TlsIdentity;
  /** onRotate calls listener with each new identity; the returned function unsubscribes. */
  onRotate(listener: (identity: TlsIdentity) => void): () => void;
}

/** ExtProcTransportOptions configure one ext_proc listener, whatever the transport. */
export interface ExtProcTransportOptions {
  /** name is who refuses streams while draining ("bbr is shutting down"). */
  readonly name: string;
  /** limits are the largest messages received and sent; a larger one ends the stream RESOURCE_EXHAUSTED. */
  readonly limits: ExtProcMessageLimits;
  /** service is what each new stream gets: its observer and its handler. */
  readonly service: StreamService;
  /** tls serves TLS (ALPN h2) with this identity, following its rotations; undefined: h2c. */
  readonly tls: TlsIdentitySource | undefined;
  /** logger hears about transport failures no stream can report (never request content). */
  readonly logger: Logger;
}

/** DrainOutcome says whether every open stream ended before the deadline. */
export type DrainOutcome = "drained" | "timeout";

/**
 * ExtProcTransport serves the ext_proc Process RPC on one port. Every implementation gives the
 * StreamService the same semantics (see StreamDriver) and the same message size limits.
 */
export interface ExtProcTransport {
  readonly kind: TransportKind;
  /** listen binds address:port and resolves the bound port (port 0 picks a free one). */
  listen(address: string, port: number): Promise<number>;
  /**
   * drain stops accepting: the listener closes, connections get GOAWAY, and a stream that still
   * arrives is refused with gRPC UNAVAILABLE. It resolves "drained" once every open stream has
   * ended, or "timeout" after deadlineMs with streams still open (then call forceClose).
   */
  drain(deadlineMs: number): Promise<DrainOutcome>;
  /** forceClose cuts every connection and open stream now. */
  forceClose(): Promise<void>;
}

/** untilDeadline resolves "drained" when drained settles, or "timeout" after deadlineMs. */
export async function untilDeadline(drained: Promise<void>, deadlineMs: number): Promise<DrainOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DrainOutcome>((resolve) => {
    timer = setTimeout(() => resolve("timeout"), deadlineMs);
  });
  try {
    return await Promise.race([drained.then((): DrainOutcome => "drained"), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
