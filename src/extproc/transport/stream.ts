import type {
  ProcessingRequest,
  ProcessingResponse,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";

/**
 * ResponseSink is how a stream handler talks back to Envoy. Transports implement it; handlers
 * never see gRPC types, so the protocol logic runs the same over any transport.
 */
export interface ResponseSink {
  /** send queues one ProcessingResponse. */
  send(response: ProcessingResponse): void;
  /** close ends the stream cleanly (gRPC OK): Envoy continues without the processor. */
  close(): void;
  /** fail ends the stream with an error: Envoy answers 500 unless failure_mode_allow. */
  fail(error: StreamError): void;
}

/** StreamErrorCode is the gRPC status a failed stream ends with. */
export type StreamErrorCode =
  | "InvalidArgument"
  | "FailedPrecondition"
  | "Internal"
  | "Unavailable"
  | "ResourceExhausted";

/** StreamError ends an ext_proc stream with a gRPC status instead of an HTTP answer. */
export class StreamError extends Error {
  override readonly name = "StreamError" as const;
  constructor(
    readonly code: StreamErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * StreamHandler owns the protocol of one ext_proc stream (one HTTP request). The transport
 * delivers messages in order and waits for a returned promise before delivering the next one,
 * so a handler never sees two messages at once.
 */
export interface StreamHandler {
  /** onMessage handles one message from Envoy. Throwing fails the stream with Internal. */
  onMessage(message: ProcessingRequest): void | Promise<void>;
  /** onPeerEnd is called when Envoy half-closes the stream (no more messages). */
  onPeerEnd(): void;
  /** onCancel is called when the stream is cancelled or reset; release everything. */
  onCancel(): void;
}

/** StreamHandlerFactory creates the handler for a new stream. */
export type StreamHandlerFactory = (sink: ResponseSink) => StreamHandler;

/**
 * CallHeaders are the request headers (gRPC metadata) of one ext_proc call, lower-case keys,
 * text values only. Envoy propagates its own trace context there. Transports read them lazily,
 * so a handler that never asks pays nothing.
 */
export interface CallHeaders {
  get(key: string): string | undefined;
  keys(): string[];
}

/** StreamObserver hears about stream starts and ends (metrics, drain accounting, config leases). */
export interface StreamObserver {
  opened(): void;
  closed(): void;
}

/**
 * StreamService is what a transport serves on each new stream: the observer is told opened()
 * before the handler is created (in the same tick), and closed() exactly once when the stream
 * ends, however it ends.
 */
export interface StreamService {
  readonly observe?: () => StreamObserver;
  readonly createHandler: (sink: ResponseSink, headers: CallHeaders) => StreamHandler;
}
