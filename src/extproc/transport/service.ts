import { fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ExternalProcessor,
  type ProcessingRequest,
  ProcessingRequestSchema,
  type ProcessingResponse,
  ProcessingResponseSchema,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { decodeRequest as decodeWireRequest } from "../wire/request-decoder.js";
import { encodeResponse as encodeWireResponse } from "../wire/response-encoder.js";
import type { StreamErrorCode } from "./stream.js";

/**
 * The ext_proc service as every transport serves it: names, paths, codec, status codes and the
 * per-stream queue bound. Nothing here depends on a gRPC library.
 */

/** EXT_PROC_SERVICE is the fully-qualified ext_proc service name (also used for health). */
export const EXT_PROC_SERVICE = ExternalProcessor.typeName;

/** EXT_PROC_PROCESS_PATH is the HTTP/2 path of the Process RPC. */
export const EXT_PROC_PROCESS_PATH = `/${EXT_PROC_SERVICE}/Process`;

/** extProcServiceDescriptor is the generated service descriptor (what descriptor-driven transports serve). */
export const extProcServiceDescriptor = ExternalProcessor;

/**
 * decodeRequest reads one ProcessingRequest (wire/request-decoder.ts: a hand-written fast path
 * for what Envoy sends on every stream, fromBinary for the rest). Body bytes stay views of the received frame
 * (protobuf-es reads bytes fields with subarray), so a body chunk is never copied on the way in.
 */
export function decodeRequest(bytes: Uint8Array): ProcessingRequest {
  return decodeWireRequest(bytes);
}

/** encodeRequest writes one ProcessingRequest (the client side: tests, bench, devgw). */
export function encodeRequest(message: ProcessingRequest): Uint8Array {
  return toBinary(ProcessingRequestSchema, message);
}

/** decodeResponse reads one ProcessingResponse (the client side). */
export function decodeResponse(bytes: Uint8Array): ProcessingResponse {
  return fromBinary(ProcessingResponseSchema, bytes);
}

/**
 * encodeResponse writes one ProcessingResponse with the hand-written encoder (the same bytes as
 * toBinary, one exact-size buffer); see wire/response-encoder.ts.
 */
export function encodeResponse(message: ProcessingResponse): Uint8Array {
  return encodeWireResponse(message);
}

// gRPC status codes are the protocol's, so one table serves every transport.
const GRPC_STATUS_BY_STREAM_CODE: Readonly<Record<StreamErrorCode, number>> = {
  InvalidArgument: 3,
  FailedPrecondition: 9,
  ResourceExhausted: 8,
  Internal: 13,
  Unavailable: 14,
};

/** grpcStatusOf is the gRPC status code a stream failed with a StreamErrorCode ends with. */
export function grpcStatusOf(code: StreamErrorCode): number {
  return GRPC_STATUS_BY_STREAM_CODE[code];
}

/**
 * MAX_QUEUED_MESSAGES bounds a stream's queue: a stream whose handler is slower than Envoy
 * sends stops reading at this many queued messages, so a flood cannot grow memory without bound.
 */
export const MAX_QUEUED_MESSAGES = 64;

/** ExtProcMessageLimits are the message size limits set deliberately on an ext_proc server. */
export interface ExtProcMessageLimits {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
}
