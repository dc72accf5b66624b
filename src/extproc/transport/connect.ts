import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type SecureServerOptions,
  type ServerHttp2Session,
  type ServerOptions,
} from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { Logger } from "../../common/logger.js";
import type {
  ProcessingRequest,
  ProcessingResponse,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { EXT_PROC_PROCESS_PATH, type ExtProcMessageLimits, extProcServiceDescriptor } from "./service.js";
import type { CallHeaders, StreamService } from "./stream.js";
import { StreamDriver, type StreamWire } from "./stream-driver.js";
import {
  type DrainOutcome,
  type ExtProcTransport,
  type ExtProcTransportOptions,
  type TlsIdentity,
  untilDeadline,
} from "./transport.js";

/**
 * connectAdapterOptions are the connect settings that make it behave as the grpc-js server
 * does: the gRPC protocol only, the same message limits, compressed requests accepted, and
 * responses never compressed (grpc-js compresses nothing unless told; connect would gzip every
 * response over 1 KiB for a client that merely accepts gzip, as grpc-js clients do).
 */
export function connectAdapterOptions(limits: ExtProcMessageLimits) {
  return {
    grpc: true,
    grpcWeb: false,
    connect: false,
    readMaxBytes: limits.maxReceiveMessageBytes,
    writeMaxBytes: limits.maxSendMessageBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
    compressMinBytes: Number.MAX_SAFE_INTEGER,
  };
}

/**
 * HTTP2_SERVER_OPTIONS are grpc-js's own: no limit on header blocks sent, and no session
 * memory limit (Node's default of 10 MB refuses streams once 64 bodies of 1 MiB are in flight).
 */
export const HTTP2_SERVER_OPTIONS: ServerOptions = {
  maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
  maxSessionMemory: Number.MAX_SAFE_INTEGER,
};

/**
 * ResponseQueue is the response stream connect-node reads: responses in the order sent, then
 * the end. Nothing is accepted after the end.
 */
class ResponseQueue implements AsyncIterableIterator<ProcessingResponse> {
  private readonly items: ProcessingResponse[] = [];
  private waiter: ((r: IteratorResult<ProcessingResponse>) => void) | undefined;
  private ended = false;

  push(response: ProcessingResponse): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter({ value: response, done: false });
    } else {
      this.items.push(response);
    }
  }

  /** end closes the queue; it is false when the queue had already ended. */
  end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ value: undefined, done: true });
    return true;
  }

  next(): Promise<IteratorResult<ProcessingResponse>> {
    const item = this.items.shift();
    if (item) return Promise.resolve({ value: item, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<ProcessingResponse>> {
    this.ended = true;
    this.items.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ProcessingResponse> {
    return this;
  }
}

/**
 * setStatus writes a call's gRPC status trailers as grpc-js does: its message encoded with
 * encodeURI, which grpc-js clients decode (connect's own encodeURIComponent leaves "%3A" for a
 * ":" in their hands). The response stream then ends normally and connect sends these trailers.
 */
function setStatus(context: HandlerContext, status: number, message: string): void {
  context.responseTrailer.set("grpc-status", String(status));
  context.responseTrailer.set("grpc-message", encodeURI(message));
}

/** ReadGate holds the request reader while the driver's queue is full. */
class ReadGate {
  private opened: Promise<void> | undefined;
  private open: (() => void) | undefined;

  get closed(): boolean {
    return this.opened !== undefined;
  }

  close(): void {
    this.opened ??= new Promise((resolve) => {
      this.open = resolve;
    });
  }

  reopen(): void {
    this.open?.();
    this.opened = undefined;
    this.open = undefined;
  }

  wait(): Promise<void> {
    return this.opened ?? Promise.resolve();
  }
}

/** ConnectStreamWire moves one connect-node call's messages for its StreamDriver. */
class ConnectStreamWire implements StreamWire {
  readonly responses = new ResponseQueue();
  readonly gate = new ReadGate();
  constructor(private readonly context: HandlerContext) {
    // grpc-js ends a clean stream with the message "OK"; clients see the same here.
    setStatus(context, 0, "OK");
  }
  write(response: ProcessingResponse): void {
    this.responses.push(response);
  }
  end(): void {
    this.responses.end();
  }
  endWithStatus(status: number, message: string): void {
    // Once ended, the status is what it was: a late reset does not rewrite it.
    if (this.responses.end()) setStatus(this.context, status, message);
  }
  /** endWithError ends the call with whatever broke it (connect's code, else Internal). */
  endWithError(reason: unknown): void {
    const error = ConnectError.from(reason);
    this.endWithStatus(error.code, error.rawMessage);
  }
  pause(): void {
    this.gate.close();
  }
  resume(): void {
    this.gate.reopen();
  }
}

/** RequestHeaders reads connect's request headers as CallHeaders (text values, as grpc-js metadata). */
class RequestHeaders implements CallHeaders {
  constructor(private readonly headers: Headers) {}
  get(key: string): string | undefined {
    if (key.endsWith("-bin")) return undefined;
    return this.headers.get(key) ?? undefined;
  }
  keys(): string[] {
    return [...this.headers.keys()];
  }
}

/**
 * readRequests feeds the request stream to the driver, waiting while its queue is full. The
 * stream ends cleanly on the peer's half-close; a reset, a deadline, or a message that is too
 * large or cannot be decoded breaks it, which ends the call as a cancel does.
 */
async function readRequests(
  requests: AsyncIterable<ProcessingRequest>,
  driver: StreamDriver,
  wire: ConnectStreamWire,
): Promise<void> {
  try {
    for await (const message of requests) {
      driver.receive(message);
      if (wire.gate.closed) await wire.gate.wait();
    }
  } catch (e) {
    driver.cancel();
    wire.endWithError(e);
    return;
  }
  driver.peerEnd();
}

/** serveConnectStream runs one connect-node bidi call through a StreamDriver. */
function serveConnectStream(
  requests: AsyncIterable<ProcessingRequest>,
  context: HandlerContext,
  service: StreamService,
): AsyncIterable<ProcessingResponse> {
  const wire = new ConnectStreamWire(context);
  const driver = new StreamDriver(wire, service, new RequestHeaders(context.requestHeader));
  const onAbort = () => {
    // A reset, the deadline, or a forced shutdown; after a normal end this changes nothing.
    driver.cancel();
    wire.endWithError(context.signal.reason ?? new ConnectError("cancelled", Code.Canceled));
  };
  if (context.signal.aborted) onAbort();
  else context.signal.addEventListener("abort", onAbort, { once: true });
  void readRequests(requests, driver, wire);
  return wire.responses;
}

type RequestListener = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/**
 * processListener serves the Process RPC with connect-node's adapter pieces, as its
 * connectNodeAdapter does, with one difference: connectNodeAdapter prints every failed response
 * write to stderr, and a write fails whenever the peer resets a stream with data in flight (write
 * ECANCELED, a routine cancel under load). Here such a failure is dropped (the stream's abort
 * signal has already cancelled its handler) and anything else goes to the logger, so logs stay
 * JSON. Any other path is answered 404, as connectNodeAdapter's fallback does.
 */
function processListener(
  options: ReturnType<typeof connectAdapterOptions> & { readonly shutdownSignal: AbortSignal },
  serve: (requests: AsyncIterable<ProcessingRequest>, context: HandlerContext) => AsyncIterable<ProcessingResponse>,
  logger: Logger,
): RequestListener {
  const router = createConnectRouter(options);
  router.service(extProcServiceDescriptor, { process: serve });
  const processRpc = router.handlers.find((h) => h.requestPath === EXT_PROC_PROCESS_PATH)!;
  return (req, res) => {
    if (req.url?.split("?", 1)[0] !== EXT_PROC_PROCESS_PATH) {
      res.writeHead(404).end();
      return;
    }
    processRpc(universalRequestFromNodeRequest(req, res, undefined, undefined))
      .then((response) => universalResponseToNodeResponse(response, res))
      .catch((e: unknown) => {
        if (!res.stream.destroyed) logger.warn({ err: (e as Error).message }, "ext_proc response write failed");
      });
  };
}

/** ConnectNodeTransport serves ext_proc on @connectrpc/connect-node (gRPC over HTTP/2, h2c or TLS). */
export class ConnectNodeTransport implements ExtProcTransport {
  readonly kind = "connect" as const;
  private readonly server: Http2Server | Http2SecureServer;
  private readonly sessions = new Set<ServerHttp2Session>();
  private readonly shutdown = new AbortController();
  private unsubscribeTls: (() => void) | undefined;
  private draining = false;

  constructor(private readonly options: ExtProcTransportOptions) {
    const handler = processListener(
      { ...connectAdapterOptions(options.limits), shutdownSignal: this.shutdown.signal },
      (requests, context) => this.serve(requests, context),
      options.logger,
    );
    const tls = options.tls;
    if (tls) {
      const secure = createSecureServer({ ...HTTP2_SERVER_OPTIONS, ...secureContextOf(tls.current()) }, handler);
      // A rotated certificate is served to new connections; open ones keep theirs.
      this.unsubscribeTls = tls.onRotate((identity) => secure.setSecureContext(secureContextOf(identity)));
      // A failed handshake or a reset TLS socket is the peer's problem, not a crash.
      secure.on("secureConnection", (socket) => socket.on("error", () => {}));
      this.server = secure;
    } else {
      this.server = createServer(HTTP2_SERVER_OPTIONS, handler);
    }
    this.server.setTimeout(0);
    this.server.on("session", (session: ServerHttp2Session) => {
      this.sessions.add(session);
      session.on("error", () => {
        /* the session is destroyed; its streams are cancelled */
      });
      session.once("close", () => this.sessions.delete(session));
    });
  }

  private serve(
    requests: AsyncIterable<ProcessingRequest>,
    context: HandlerContext,
  ): AsyncIterable<ProcessingResponse> {
    if (this.draining) {
      // Draining: refuse new streams so Envoy picks another replica.
      setStatus(context, Code.Unavailable, `${this.options.name} is shutting down`);
      const refused = new ResponseQueue();
      refused.end();
      return refused;
    }
    return serveConnectStream(requests, context, this.options.service);
  }

  listen(address: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, address, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  drain(deadlineMs: number): Promise<DrainOutcome> {
    this.draining = true;
    const closed = this.close();
    // GOAWAY on every connection: open streams finish, new ones go elsewhere.
    for (const session of this.sessions) session.close();
    return untilDeadline(closed, deadlineMs);
  }

  async forceClose(): Promise<void> {
    this.draining = true;
    this.shutdown.abort(new ConnectError(`${this.options.name} stopped`, Code.Unavailable));
    const closed = this.close();
    for (const session of this.sessions) session.destroy();
    await closed;
  }

  private close(): Promise<void> {
    this.unsubscribeTls?.();
    this.unsubscribeTls = undefined;
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
    });
  }
}

function secureContextOf(identity: TlsIdentity): SecureServerOptions {
  return { cert: identity.certificate, key: identity.privateKey };
}
