import { EXT_PROC_SERVICE } from "../../extproc/transport/service.js";
import type { CallHeaders, StreamHandlerFactory } from "../../extproc/transport/stream.js";
import { tracedStream } from "../../runtime/tracing/stream-span.js";
import { activeTracer } from "../../runtime/tracing/tracer.js";
import type { BbrEnvironment } from "../pipeline/settings.js";
import { BbrStreamProcessor } from "../pipeline/stream-processor.js";

/**
 * bbrStreamFactory creates the processor for one ext_proc call: a plain BbrStreamProcessor, or,
 * when tracing is allowed and an OpenTelemetry SDK is registered, one wrapped in a stream span
 * with plugin child spans. The check runs per stream, so an SDK registered late still takes effect.
 */
export function bbrStreamFactory(
  env: BbrEnvironment,
  callHeaders: CallHeaders,
  tracing: boolean,
): StreamHandlerFactory {
  const tracer = tracing ? activeTracer() : undefined;
  if (!tracer) return (sink) => new BbrStreamProcessor(env, sink);
  const options = { tracer, component: "bbr", rpcService: EXT_PROC_SERVICE, callHeaders };
  return (sink) => tracedStream(options, sink, (traced, onStep) => new BbrStreamProcessor(env, traced, onStep));
}
