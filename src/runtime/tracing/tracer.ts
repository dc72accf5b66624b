import {
  type Context,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import { packageVersion } from "../../common/version.js";

/** TRACER_NAME is the instrumentation scope of every span this project creates. */
export const TRACER_NAME = "inference-bbr";

type MaybeProxyProvider = TracerProvider & {
  getDelegateTracer?: (name: string, version?: string) => Tracer | undefined;
};

/**
 * activeTracer returns a tracer only when an OpenTelemetry SDK has registered a tracer
 * provider, and undefined otherwise. The API's global provider is a proxy that answers with
 * no-op tracers until an SDK sets its delegate; asking the proxy for its delegate costs one
 * global lookup, so a process without an SDK pays nothing more per stream: no span objects,
 * no header extraction, no context switches.
 */
export function activeTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider() as MaybeProxyProvider;
  if (typeof provider.getDelegateTracer === "function") {
    return provider.getDelegateTracer(TRACER_NAME, packageVersion());
  }
  // A provider installed without the API's proxy (not done by the SDKs, but allowed): trust it.
  return provider.getTracer(TRACER_NAME, packageVersion());
}

/** TextCarrier is a read-only header set to extract trace context from (CallHeaders are one). */
export interface TextCarrier {
  get(key: string): string | undefined;
  keys(): string[];
}

const carrierGetter: TextMapGetter<TextCarrier> = {
  get: (carrier, key) => carrier.get(key.toLowerCase()),
  keys: (carrier) => carrier.keys(),
};

/** mapCarrier reads a header map whose keys are already lower-case. */
export function mapCarrier(headers: ReadonlyMap<string, string>): TextCarrier {
  return { get: (key) => headers.get(key), keys: () => [...headers.keys()] };
}

/**
 * extractContext reads propagated context (W3C traceparent/tracestate and baggage with the
 * SDK's default propagators) from a carrier. It returns undefined when the carrier holds no
 * valid remote span context, so callers can fall back to another source.
 */
export function extractContext(carrier: TextCarrier): Context | undefined {
  const ctx = propagation.extract(ROOT_CONTEXT, carrier, carrierGetter);
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && trace.isSpanContextValid(spanContext) ? ctx : undefined;
}
