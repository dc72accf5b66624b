import { fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  type ProcessingRequest,
  ProcessingRequestSchema,
  type ProcessingResponse,
  ProcessingResponseSchema,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { type ResponseSink, StreamError, type StreamErrorCode, type StreamHandlerFactory } from "./stream.js";

/** EXT_PROC_SERVICE is the fully-qualified ext_proc service name (also used for health). */
export const EXT_PROC_SERVICE = "envoy.service.ext_proc.v3.ExternalProcessor";

/** EXT_PROC_PROCESS_PATH is the HTTP/2 path of the Process RPC. */
export const EXT_PROC_PROCESS_PATH = `/${EXT_PROC_SERVICE}/Process`;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * extProcServiceDefinition serves the buf-generated protobuf-es messages through grpc-js.
 * Decoding keeps body bytes as views of the received frame (protobuf-es reads bytes fields
 * with subarray), so a body chunk is never copied on the way in.
 */
export const extProcServiceDefinition: grpc.ServiceDefinition = {
  Process: {
    path: EXT_PROC_PROCESS_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: ProcessingRequest) => asBuffer(toBinary(ProcessingRequestSchema, m)),
    requestDeserialize: (b: Buffer) => fromBinary(ProcessingRequestSchema, b),
    responseSerialize: (m: ProcessingResponse) => asBuffer(toBinary(ProcessingResponseSchema, m)),
    responseDeserialize: (b: Buffer) => fromBinary(ProcessingResponseSchema, b),
  },
};

const GRPC_STATUS_BY_STREAM_CODE: Readonly<Record<StreamErrorCode, grpc.status>> = {
  InvalidArgument: grpc.status.INVALID_ARGUMENT,
  FailedPrecondition: grpc.status.FAILED_PRECONDITION,
  Internal: grpc.status.INTERNAL,
  Unavailable: grpc.status.UNAVAILABLE,
  ResourceExhausted: grpc.status.RESOURCE_EXHAUSTED,
};

// A stream whose handler is slower than Envoy sends stops reading at this many queued
// messages, so a flood cannot grow memory without bound.
const MAX_QUEUED_MESSAGES = 64;

/** StreamObserver hears about stream starts and ends (metrics, drain accounting). */
export interface StreamObserver {
  opened(): void;
  closed(): void;
}

/**
 * serveExtProcStream adapts one grpc-js duplex call to a transport-free StreamHandler:
 * in-order delivery, one message at a time, and a single end of stream.
 */
export function serveExtProcStream(
  call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>,
  createHandler: StreamHandlerFactory,
  observer?: StreamObserver,
): void {
  let finished = false;
  const finish = () => {
    if (finished) return false;
    finished = true;
    observer?.closed();
    return true;
  };
  const sink: ResponseSink = {
    send(response) {
      if (!finished) call.write(response);
    },
    close() {
      if (finish()) call.end();
    },
    fail(error) {
      if (finish()) {
        call.emit("error", { code: GRPC_STATUS_BY_STREAM_CODE[error.code], details: error.message });
      }
    },
  };
  observer?.opened();
  const handler = createHandler(sink);
  const queue: ProcessingRequest[] = [];
  let busy = false;
  let peerEnded = false;
  let paused = false;

  const failWith = (e: unknown) => {
    sink.fail(e instanceof StreamError ? e : new StreamError("Internal", `processing failed: ${describe(e)}`));
  };
  const deliver = (message: ProcessingRequest): void => {
    let pending: void | Promise<void>;
    try {
      pending = handler.onMessage(message);
    } catch (e) {
      failWith(e);
      return;
    }
    if (pending) {
      busy = true;
      pending.then(
        () => {
          busy = false;
          drain();
        },
        (e: unknown) => {
          busy = false;
          failWith(e);
        },
      );
    }
  };
  const drain = () => {
    while (!busy && !finished && queue.length > 0) deliver(queue.shift()!);
    if (paused && queue.length === 0) {
      paused = false;
      call.resume();
    }
    if (!busy && queue.length === 0 && peerEnded && !finished) handler.onPeerEnd();
  };

  call.on("data", (message: ProcessingRequest) => {
    if (finished) return;
    if (busy) {
      queue.push(message);
      if (queue.length >= MAX_QUEUED_MESSAGES && !paused) {
        paused = true;
        call.pause();
      }
      return;
    }
    deliver(message);
  });
  call.on("end", () => {
    peerEnded = true;
    if (!busy) drain();
  });
  const cancel = () => {
    queue.length = 0;
    if (finish()) handler.onCancel();
  };
  call.on("cancelled", cancel);
  call.on("error", () => {
    /* grpc-js reports transport errors here; the stream is gone, as with a cancel */
    cancel();
  });
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** GrpcServerLimits are the message size limits set deliberately on the ext_proc server. */
export interface GrpcServerLimits {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
}

/** createGrpcServer builds a grpc-js server with explicit message limits. */
export function createGrpcServer(limits: GrpcServerLimits): grpc.Server {
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
