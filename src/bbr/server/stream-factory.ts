import type * as grpc from "@grpc/grpc-js";
import { EXT_PROC_SERVICE } from "../../extproc/transport/grpc.js";
import type { StreamHandlerFactory } from "../../extproc/transport/stream.js";
import { tracedStream } from "../../runtime/tracing/stream-span.js";
import { activeTracer, metadataCarrier } from "../../runtime/tracing/tracer.js";
import type { BbrEnvironment } from "../pipeline/settings.js";
import { BbrStreamProcessor } from "../pipeline/stream-processor.js";

/**
 * bbrStreamFactory creates the processor for one ext_proc call: a plain BbrStreamProcessor, or,
 * when tracing is allowed and an OpenTelemetry SDK is registered, one wrapped in a stream span
 * with plugin child spans. The check runs per stream, so an SDK registered late still takes effect.
 */
export function bbrStreamFactory(env: BbrEnvironment, metadata: grpc.Metadata, tracing: boolean): StreamHandlerFactory {
  const tracer = tracing ? activeTracer() : undefined;
  if (!tracer) return (sink) => new BbrStreamProcessor(env, sink);
  const options = { tracer, component: "bbr", rpcService: EXT_PROC_SERVICE, callMetadata: metadataCarrier(metadata) };
  return (sink) => tracedStream(options, sink, (traced, onStep) => new BbrStreamProcessor(env, traced, onStep));
}
