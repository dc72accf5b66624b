import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

// A server's metrics are a catalogue: a table of specs (name, help, labels, buckets) that
// declareMetrics turns into prom-client metrics on one registry. The table reads as the list of
// what a server exports, and the label names in it type the metrics it returns.

/** MetricKinds maps a spec's kind to the prom-client metric it becomes, with label names L. */
export interface MetricKinds<L extends string> {
  counter: Counter<L>;
  gauge: Gauge<L>;
  histogram: Histogram<L>;
}

export type MetricKind = keyof MetricKinds<string>;

/**
 * MetricDeclaration describes one metric: its exported name, help text and label names, the bucket
 * upper bounds of a histogram, and for a counter or gauge an optional `collect` hook that sets it
 * from a live value at scrape time (so it is never stale).
 */
export interface MetricDeclaration<K extends MetricKind = MetricKind, L extends string = string> {
  readonly kind: K;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly buckets?: readonly number[];
  // A method, so that a catalogue of specs with different label names is one type.
  collect?(metric: MetricKinds<L>[K]): void;
}

/** MetricCatalogue names each spec by the property its metric is read from. */
export type MetricCatalogue = Readonly<Record<string, MetricDeclaration>>;

/** MetricsOf is what declareMetrics returns for a catalogue: one typed metric per entry. */
export type MetricsOf<C extends MetricCatalogue> = {
  readonly [P in keyof C]: C[P] extends MetricDeclaration<infer K, infer L> ? MetricKinds<L>[K] : never;
};

/** liveSpec makes the spec builder of a kind that may be collected at scrape time. */
function liveSpec<K extends "counter" | "gauge">(kind: K) {
  return <L extends string = string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: (metric: MetricKinds<L>[K]) => void,
  ): MetricDeclaration<K, L> => ({ kind, name, help, labelNames, ...(collect && { collect }) });
}

export const counter = liveSpec("counter");
export const gauge = liveSpec("gauge");

export function histogram<L extends string = string>(
  name: string,
  help: string,
  buckets: readonly number[],
  labelNames: readonly L[] = [],
): MetricDeclaration<"histogram", L> {
  return { kind: "histogram", name, help, buckets, labelNames };
}

/** declareMetrics registers every metric of `catalogue` on `registry`, in the catalogue's order. */
export function declareMetrics<C extends MetricCatalogue>(registry: Registry, catalogue: C): MetricsOf<C> {
  const metrics: Record<string, unknown> = {};
  for (const [property, spec] of Object.entries(catalogue)) metrics[property] = newMetric(registry, spec);
  return metrics as MetricsOf<C>;
}

function newMetric(registry: Registry, spec: MetricDeclaration): MetricKinds<string>[MetricKind] {
  const registers = [registry];
  const { name, help } = spec;
  // Copies: prom-client keeps the arrays it is given (and freezes the buckets), while
  // catalogues pass shared and exported constants.
  const labelNames = [...spec.labelNames];
  switch (spec.kind) {
    case "counter":
      return new Counter({ name, help, labelNames, registers, ...scrapeHook(spec) });
    case "gauge":
      return new Gauge({ name, help, labelNames, registers, ...scrapeHook(spec) });
    case "histogram":
      // Without buckets (histogram() always gives them) prom-client uses its default ones.
      return new Histogram({ name, help, labelNames, registers, ...(spec.buckets && { buckets: [...spec.buckets] }) });
  }
}

/**
 * scrapeHook is prom-client's `collect` option, which prom-client calls with the metric as `this`;
 * the spec's hook gets the metric as an argument instead. No hook, no key: prom-client copies
 * every key of the configuration onto the metric.
 */
function scrapeHook<M>(spec: { collect?(metric: M): void }): { collect?: (this: M) => void } {
  const { collect } = spec;
  if (!collect) return {};
  return {
    collect(this: M) {
      collect(this);
    },
  };
}

/**
 * metricSet makes a base class that owns a registry (one per server, so tests and embedders can
 * run several) and exposes the catalogue's metrics as read-only properties.
 */
export function metricSet<C extends MetricCatalogue>(
  catalogue: C,
): new () => { readonly registry: Registry } & MetricsOf<C> {
  return class {
    readonly registry = new Registry();
    constructor() {
      Object.assign(this, declareMetrics(this.registry, catalogue));
    }
  } as new () => { readonly registry: Registry } & MetricsOf<C>;
}

/**
 * collectProcessMetrics adds Node's process metrics (CPU, memory, event loop, GC) unless the
 * embedder turned them off, e.g. to run several servers in one process with tidy registries.
 */
export function collectProcessMetrics(registry: Registry, options: { defaultMetrics?: boolean }): void {
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
}
