import { randomBytes } from "node:crypto";
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Link,
  propagation,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type TimeInput,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";

// A minimal in-memory OpenTelemetry SDK for tests: the project depends only on the API, and
// this stands in for what a user would register (sdk-trace-base plus the W3C propagator). It
// is a double of a third-party SDK, not of our code.

/** FinishedSpan is what the test SDK recorded for one span. */
export interface FinishedSpan {
  readonly name: string;
  readonly kind: number | undefined;
  readonly spanContext: SpanContext;
  readonly parentSpanId: string | undefined;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly status: SpanStatus | undefined;
  readonly events: string[];
  readonly startTime: number;
  readonly endTime: number;
  readonly scope: string;
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const millis = (t: TimeInput | undefined) => (typeof t === "number" ? t : t instanceof Date ? t.getTime() : Date.now());

class RecordingSpan implements Span {
  private readonly attributes: Attributes = {};
  private status: SpanStatus | undefined;
  private readonly events: string[] = [];
  private ended = false;
  private readonly startTime: number;

  constructor(
    private readonly sink: FinishedSpan[],
    private readonly scope: string,
    private name: string,
    private readonly context: SpanContext,
    private readonly parentSpanId: string | undefined,
    private readonly options: SpanOptions,
  ) {
    Object.assign(this.attributes, options.attributes ?? {});
    this.startTime = millis(options.startTime);
  }
  spanContext(): SpanContext {
    return this.context;
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.attributes, attributes);
    return this;
  }
  addEvent(name: string): this {
    this.events.push(name);
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.push({
      name: this.name,
      kind: this.options.kind,
      spanContext: this.context,
      parentSpanId: this.parentSpanId,
      attributes: this.attributes,
      links: this.options.links ?? [],
      status: this.status,
      events: this.events,
      startTime: this.startTime,
      endTime: millis(endTime),
      scope: this.scope,
    });
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(): void {}
}

class RecordingTracer implements Tracer {
  constructor(
    private readonly sink: FinishedSpan[],
    private readonly scope: string,
  ) {}
  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
    const parent = options.root ? undefined : trace.getSpanContext(ctx);
    const spanContext: SpanContext = { traceId: parent?.traceId ?? hex(16), spanId: hex(8), traceFlags: 1 };
    return new RecordingSpan(this.sink, this.scope, name, spanContext, parent?.spanId, options);
  }
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...args: unknown[]): ReturnType<F> {
    const fn = args.at(-1) as F;
    return fn(this.startSpan(name)) as ReturnType<F>;
  }
}

/** W3CTraceContext reads and writes `traceparent` (version 00), as the SDK's default propagator does. */
class W3CTraceContext implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(ctx);
    if (sc) setter.set(carrier, "traceparent", `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags}`);
  }
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, "traceparent");
    const value = Array.isArray(raw) ? raw[0] : raw;
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value ?? "");
    if (!m) return ctx;
    return trace.setSpanContext(ctx, {
      traceId: m[1]!,
      spanId: m[2]!,
      traceFlags: Number.parseInt(m[3]!, 16),
      isRemote: true,
    });
  }
  fields(): string[] {
    return ["traceparent"];
  }
}

/** TestSdk records finished spans; install() registers it globally, uninstall() removes it. */
export class TestSdk implements TracerProvider {
  readonly spans: FinishedSpan[] = [];

  getTracer(name: string): Tracer {
    return new RecordingTracer(this.spans, name);
  }

  install(): void {
    trace.setGlobalTracerProvider(this);
    propagation.setGlobalPropagator(new W3CTraceContext());
  }

  uninstall(): void {
    trace.disable();
    propagation.disable();
  }
}
