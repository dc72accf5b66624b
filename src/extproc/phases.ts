import { ProcessingMode_BodySendMode as BodySendMode } from "../gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode_pb.js";
import type { ProcessingRequest } from "../gen/envoy/service/ext_proc/v3/external_processor_pb.js";

/**
 * BodyMode is how Envoy sends a body, per direction:
 * - duplex: FULL_DUPLEX_STREAMED; the processor may hold messages and answers with streamed bodies.
 * - buffered: BUFFERED; exactly one answer per message.
 * - none: no body will come; headers are answered at once.
 * - passthrough: STREAMED, BUFFERED_PARTIAL or GRPC, where headers must be answered before the
 *   body arrives, so header changes cannot depend on it.
 */
export type BodyMode = "duplex" | "buffered" | "none" | "passthrough";

/** bodyModeOf maps Envoy's BodySendMode. */
export function bodyModeOf(mode: BodySendMode): BodyMode {
  switch (mode) {
    case BodySendMode.FULL_DUPLEX_STREAMED:
      return "duplex";
    case BodySendMode.BUFFERED:
      return "buffered";
    case BodySendMode.NONE:
      return "none";
    default:
      return "passthrough";
  }
}

/**
 * bodyModesOf reads the body modes from the stream's first message: Envoy's protocol_config when
 * it sends one, else the server's default (FULL_DUPLEX_STREAMED when streaming, else BUFFERED).
 */
export function bodyModesOf(first: ProcessingRequest, streamingByDefault: boolean): { request: BodyMode; response: BodyMode } {
  const config = first.protocolConfig;
  if (config) return { request: bodyModeOf(config.requestBodyMode), response: bodyModeOf(config.responseBodyMode) };
  const mode: BodyMode = streamingByDefault ? "duplex" : "buffered";
  return { request: mode, response: mode };
}
