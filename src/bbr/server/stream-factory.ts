import { EXT_PROC_SERVICE } from "../../extproc/transport/service.js";
import type { CallHeaders, StreamHandlerFactory } from "../../extproc/transport/stream.js";
import { activeTracing } from "../../runtime/tracing/lazy-tracing.js";
import type { BbrEnvironment } from "../pipeline/settings.js";
import { BbrStreamProcessor } from "../pipeline/stream-processor.js";

/**
 * bbrStreamFactory creates the processor for one ext_proc call: a plain BbrStreamProcessor, or,
 * when tracing is allowed and an OpenTelemetry SDK is registered, one wrapped in a stream span
 * with plugin child spans. The check runs per stream, so an SDK registered late still takes
 * effect (once the tracing modules, loaded on first need, are in; see activeTracing).
 */
export function bbrStreamFactory(
  env: BbrEnvironment,
  callHeaders: CallHeaders,
  tracing: boolean,
): StreamHandlerFactory {
  const active = tracing ? activeTracing() : undefined;
  if (!active) return (sink) => new BbrStreamProcessor(env, sink);
  const options = { tracer: active.tracer, component: "bbr", rpcService: EXT_PROC_SERVICE, callHeaders };
  return (sink) =>
    active.tracing.tracedStream(options, sink, (traced, onStep) => new BbrStreamProcessor(env, traced, onStep));
}
