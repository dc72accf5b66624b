import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { readHeaderMap } from "../../extproc/headers.js";
import { type ResponseSink, StreamError, type StreamHandler } from "../../extproc/transport/stream.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { ProcessingRequest, ProcessingResponse } from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { extractContext, mapCarrier, type TextCarrier } from "./tracer.js";

/** PluginStepObserver hears about each finished plugin call (same shape as the chain's step timer). */
export type PluginStepObserver = (plugin: Plugin, chain: "request" | "response", seconds: number) => void;

/** StreamTracingOptions configure the span of one ext_proc stream. */
export interface StreamTracingOptions {
  readonly tracer: Tracer;
  /** component prefixes plugin span names ("bbr" gives "bbr.plugin body-field-to-header"). */
  readonly component: string;
  /** rpcService is the gRPC service name recorded on the stream span. */
  readonly rpcService: string;
  /**
   * callHeaders are the ext_proc call's own headers (gRPC metadata, from any transport). When
   * Envoy itself traces, it propagates its ext_proc span there, which is the most precise parent.
   */
  readonly callHeaders?: TextCarrier;
}

/**
 * tracedStream builds a stream handler whose stream runs inside one SERVER span. The span
 * starts at the first message; its parent is Envoy's ext_proc span from the call metadata,
 * else the W3C context the client sent in the HTTP request headers (then linked, when both
 * exist). Plugin calls become child spans, HTTP errors BBR answers are recorded, and the span
 * ends with the stream. Only used when an SDK is registered (see activeTracer).
 */
export function tracedStream(
  options: StreamTracingOptions,
  sink: ResponseSink,
  create: (sink: ResponseSink, onStep: PluginStepObserver) => StreamHandler,
): StreamHandler {
  const stream = new StreamSpan(options);
  return stream.wrap(create(stream.observe(sink), stream.onStep));
}

const now = () => performance.timeOrigin + performance.now();

class StreamSpan {
  private span: Span | undefined;
  private ctx: Context = context.active();
  private ended = false;

  constructor(private readonly options: StreamTracingOptions) {}

  private start(message: ProcessingRequest): void {
    const attributes: Attributes = {
      "rpc.system": "grpc",
      "rpc.service": this.options.rpcService,
      "rpc.method": "Process",
    };
    const links: Link[] = [];
    let fromHeaders: Context | undefined;
    if (message.request.case === "requestHeaders") {
      const headers = readHeaderMap(message.request.value.headers);
      const method = headers.get(":method");
      const path = headers.get(":path");
      const requestId = headers.get("x-request-id");
      if (method !== undefined) attributes["http.request.method"] = method;
      // The query string may carry credentials; the path alone identifies the API.
      if (path !== undefined) attributes["url.path"] = path.split("?", 1)[0]!;
      if (requestId !== undefined) attributes["http.request.header.x-request-id"] = [requestId];
      fromHeaders = extractContext(mapCarrier(headers));
    }
    const fromEnvoy = this.options.callHeaders ? extractContext(this.options.callHeaders) : undefined;
    if (fromEnvoy && fromHeaders) links.push({ context: trace.getSpanContext(fromHeaders)! });
    const parent = fromEnvoy ?? fromHeaders ?? this.ctx;
    this.span = this.options.tracer.startSpan(
      `${this.options.rpcService}/Process`,
      { kind: SpanKind.SERVER, attributes, links },
      parent,
    );
    this.ctx = trace.setSpan(parent, this.span);
  }

  private end(): void {
    if (this.ended || !this.span) return;
    this.ended = true;
    this.span.end();
  }

  /** observe wraps the sink to see how the stream answers and ends. */
  observe(sink: ResponseSink): ResponseSink {
    return {
      send: (response: ProcessingResponse) => {
        if (this.span && response.response.case === "immediateResponse") {
          const code = response.response.value.status?.code ?? 0;
          this.span.setAttribute("http.response.status_code", code);
          // Server-span convention: 4xx is the client's doing, 5xx is ours.
          if (code >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR, message: `answered HTTP ${code}` });
        }
        sink.send(response);
      },
      close: () => {
        sink.close();
        this.end();
      },
      fail: (error) => {
        this.span?.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        this.span?.setAttribute("error.type", error.code);
        sink.fail(error);
        this.end();
      },
    };
  }

  /** failed records an error thrown out of the handler: the transport fails the stream with it. */
  private failed(e: unknown): void {
    const stream =
      e instanceof StreamError ? e : new StreamError("Internal", e instanceof Error ? e.message : String(e));
    this.span?.setStatus({ code: SpanStatusCode.ERROR, message: stream.message });
    this.span?.setAttribute("error.type", stream.code);
    this.end();
  }

  /** wrap runs every handler callback inside the stream span's context. */
  wrap(inner: StreamHandler): StreamHandler {
    return {
      onMessage: (message) => {
        if (!this.span) this.start(message);
        try {
          const pending = context.with(this.ctx, () => inner.onMessage(message));
          return pending?.catch((e: unknown) => {
            this.failed(e);
            throw e;
          });
        } catch (e) {
          this.failed(e);
          throw e;
        }
      },
      onPeerEnd: () => {
        context.with(this.ctx, () => inner.onPeerEnd());
      },
      onCancel: () => {
        inner.onCancel();
        this.span?.addEvent("cancelled");
        this.end();
      },
    };
  }

  /** onStep records a finished plugin call as a child span with its measured duration. */
  readonly onStep: PluginStepObserver = (plugin, chain, seconds) => {
    if (!this.span?.isRecording()) return;
    const end = now();
    const { type, name } = plugin.typedName;
    this.options.tracer
      .startSpan(
        `${this.options.component}.plugin ${type}`,
        {
          startTime: end - seconds * 1000,
          attributes: { "plugin.type": type, "plugin.name": name, "plugin.chain": chain },
        },
        this.ctx,
      )
      .end(end);
  };
}
