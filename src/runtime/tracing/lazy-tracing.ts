import type { Tracer } from "@opentelemetry/api";

// The OpenTelemetry API (and the span code over it) is loaded only when an SDK has registered
// a tracer provider: without one, no stream is traced, and a process that never traces should
// not hold the API's modules (idle RSS, issue 14).

/** TracingModule is what tracing a stream needs, loaded on demand. */
export interface TracingModule {
  readonly activeTracer: typeof import("./tracer.js").activeTracer;
  readonly tracedStream: typeof import("./stream-span.js").tracedStream;
}

// Every copy of @opentelemetry/api 1.x keeps its registrations on this global (see the API's
// internal/global-utils): a tracer provider set by any copy appears as its `trace` entry, and
// trace.disable() deletes that entry again.
const OTEL_API_GLOBAL = Symbol.for("opentelemetry.js.api.1");

/**
 * tracerProviderRegistered tells, without loading the API, whether any tracer provider is
 * registered. False means activeTracer() would return undefined; true means ask it.
 */
export function tracerProviderRegistered(): boolean {
  const api = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[OTEL_API_GLOBAL];
  return api?.trace !== undefined;
}

let loaded: TracingModule | undefined;
let loading: Promise<TracingModule> | undefined;

/** loadTracing imports the tracing modules once; later calls share the import. */
export function loadTracing(): Promise<TracingModule> {
  loading ??= Promise.all([import("./tracer.js"), import("./stream-span.js")]).then(([tracer, span]) => {
    loaded = { activeTracer: tracer.activeTracer, tracedStream: span.tracedStream };
    return loaded;
  });
  return loading;
}

/**
 * activeTracing returns the tracing module and the active tracer when an SDK is registered and
 * the module is loaded. A provider registered after start-up starts the import, and streams
 * opened before it finishes (one event-loop turn or so) go untraced; a server preloads the
 * module at start when a provider is registered already (see preloadTracing).
 */
export function activeTracing(): { readonly tracing: TracingModule; readonly tracer: Tracer } | undefined {
  if (!tracerProviderRegistered()) return undefined;
  if (!loaded) {
    loadTracing().catch(() => {
      loading = undefined;
    });
    return undefined;
  }
  const tracer = loaded.activeTracer();
  return tracer ? { tracing: loaded, tracer } : undefined;
}

/** preloadTracing loads the tracing modules now if a tracer provider is registered already. */
export async function preloadTracing(): Promise<void> {
  if (tracerProviderRegistered()) await loadTracing();
}
