import * as grpc from "@grpc/grpc-js";
import { extProcServiceDefinition } from "../../extproc/transport/grpc.js";
import { EXT_PROC_PROCESS_PATH } from "../../extproc/transport/service.js";
import type { ProcessingRequest, ProcessingResponse } from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import type { ProcessorConfig } from "./config.js";

/** ProcessorStream is one ext_proc Process call (one HTTP request) from the data plane's side. */
export type ProcessorStream = grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse>;

const process = extProcServiceDefinition["Process"]!;

/**
 * ProcessorClient holds one long-lived gRPC channel to an ext_proc server, as Envoy keeps one
 * HTTP/2 connection per processor cluster, and opens a stream per HTTP request.
 */
export class ProcessorClient {
  private readonly client: grpc.Client;

  constructor(readonly config: ProcessorConfig) {
    this.client = new grpc.Client(config.target, grpc.credentials.createInsecure(), {
      // Immediate responses and body chunks are small, but a processor may answer with a large
      // replacement body; do not cap below what BBR itself accepts.
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      // Fail fast while the processor is down (failure_mode_allow decides what happens next),
      // and reconnect quickly once it is back.
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 1000,
    });
  }

  /** open starts a Process stream; connection failures arrive as an UNAVAILABLE error on it. */
  open(): ProcessorStream {
    return this.client.makeBidiStreamRequest(
      EXT_PROC_PROCESS_PATH,
      process.requestSerialize as (m: ProcessingRequest) => Buffer,
      process.responseDeserialize as (b: Buffer) => ProcessingResponse,
      new grpc.Metadata(),
      {},
    );
  }

  close(): void {
    this.client.close();
  }
}
