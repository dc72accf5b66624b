import { isPromise } from "../common/promise.js";
import type { Plugin } from "./plugin.js";

// The one way BBR and EPP call a plugin: a PluginStep is bound once (when a config is compiled)
// to one plugin instance, one extension point, its duration series and its failure policy;
// every call through it is timed and its errors are handled the same way. Nothing here
// allocates per call.

/** DurationObserver records one plugin call's duration in seconds (a prom-client child, a test spy). */
export interface DurationObserver {
  observe(seconds: number): void;
}

/**
 * DurationSource finds the duration series of one plugin instance at one extension point. Steps
 * ask it once, when they are built, so no call resolves labels.
 */
export type DurationSource = (plugin: Plugin, extensionPoint: string) => DurationObserver;

/** PluginDurationHistogram is a histogram with the standard plugin labels (prom-client's Histogram fits). */
export interface PluginDurationHistogram {
  labels(labels: { extension_point: string; plugin_type: string; plugin_name: string }): DurationObserver;
}

/** histogramDurations observes `histogram`, one child per plugin instance and extension point label. */
export function histogramDurations(histogram: PluginDurationHistogram): DurationSource {
  return (plugin, extensionPoint) =>
    histogram.labels({
      extension_point: extensionPoint,
      plugin_type: plugin.typedName.type,
      plugin_name: plugin.typedName.name,
    });
}

/** UNOBSERVED drops durations (tests, dry runs, steps built before metrics exist). */
export const UNOBSERVED: DurationObserver = { observe() {} };

/** NO_DURATIONS is the source of UNOBSERVED. */
export const NO_DURATIONS: DurationSource = () => UNOBSERVED;

/** FailurePolicy: Fail stops the run with the failure; Ignore reports it and goes on (fail open). */
export type FailurePolicy = "Fail" | "Ignore";

/** PluginPolicy is how the runner treats one plugin's failures. */
export interface PluginPolicy {
  /** timeoutMs bounds waiting for an asynchronous call; Infinity waits as long as it takes. */
  readonly timeoutMs: number;
  readonly failurePolicy: FailurePolicy;
}

/** FailingPolicy is a policy that never ignores a failure. */
export type FailingPolicy = PluginPolicy & { readonly failurePolicy: "Fail" };

/** FAIL_FAST is the default policy: a failure propagates, asynchronous calls are not bounded. */
export const FAIL_FAST: FailingPolicy = { timeoutMs: Number.POSITIVE_INFINITY, failurePolicy: "Fail" };

/** FailureKind says how a plugin failed. */
export type FailureKind = "error" | "timeout";

/**
 * FailureReporter hears every plugin failure (metrics, logs), whatever the policy; `subject` is
 * the call's first argument (the request or response the plugin was working on).
 */
export type FailureReporter<Subject = unknown> = (
  plugin: Plugin,
  kind: FailureKind,
  error: unknown,
  subject: Subject,
) => void;

/**
 * StepOptions bind a step to its series and failure handling; every field has a default. Only a
 * step whose result may be undefined may ignore failures (an ignored call returns undefined).
 */
export interface StepOptions<Subject = unknown, R = unknown> {
  /** duration is the series each call is observed in; default: not observed. */
  readonly duration?: DurationObserver;
  /** policy defaults to FAIL_FAST. */
  readonly policy?: undefined extends R ? PluginPolicy : FailingPolicy;
  readonly reportFailure?: FailureReporter<Subject> | undefined;
  /**
   * isAnswer tells errors that are deliberate answers (BBR's RequestError: 400, 429, …) from
   * failures. Answers propagate unchanged under any policy and are never reported.
   */
  readonly isAnswer?: (error: unknown) => boolean;
  /** failWith turns a failure under the Fail policy into what the run throws; default: the error itself. */
  readonly failWith?: (kind: FailureKind, error: unknown) => unknown;
}

/** TimedStep is what listeners see of a step. */
export interface TimedStep {
  readonly plugin: Plugin;
  readonly extensionPoint: string;
  readonly duration: DurationObserver;
}

/** StepArguments bounds an extension point method to three arguments (BBR's response chunk has three). */
export type StepArguments = [] | [unknown] | [unknown, unknown] | [unknown, unknown, unknown];

type Fixed<R> = (a: unknown, b: unknown, c: unknown) => R;

/**
 * PluginStep is one plugin instance bound to one extension point method. `invoke` calls the
 * method; `call` runs it timed, with failures handled by the step's policy.
 */
export class PluginStep<A extends StepArguments, R, Point extends string = string> implements TimedStep {
  readonly duration: DurationObserver;
  readonly policy: PluginPolicy;
  private readonly reportFailure: FailureReporter<A[0]> | undefined;
  private readonly isAnswer: ((error: unknown) => boolean) | undefined;
  private readonly failWith: ((kind: FailureKind, error: unknown) => unknown) | undefined;

  constructor(
    readonly plugin: Plugin,
    readonly extensionPoint: Point,
    readonly invoke: (...args: A) => R,
    options: StepOptions<A[0], R> = {},
  ) {
    this.duration = options.duration ?? UNOBSERVED;
    this.policy = options.policy ?? FAIL_FAST;
    this.reportFailure = options.reportFailure;
    this.isAnswer = options.isAnswer;
    this.failWith = options.failWith;
  }

  /**
   * call runs a synchronous extension point once, timed. On a failure the policy decides: Fail
   * throws, Ignore returns undefined (so only steps whose result may be undefined use Ignore).
   * Possibly asynchronous chains go through runChain, which also bounds waiting.
   */
  call(...args: A): R;
  call(a?: unknown, b?: unknown, c?: unknown): R | undefined {
    const start = performance.now();
    let result: R;
    try {
      // Fixed arity instead of a rest array: a call allocates nothing.
      result = (this.invoke as unknown as Fixed<R>)(a, b, c);
    } catch (e) {
      this.duration.observe(secondsSince(start));
      this.fail(e, "error", a as A[0]);
      return undefined;
    }
    this.duration.observe(secondsSince(start));
    return result;
  }

  /**
   * fail applies the policy to an error the plugin raised: an answer propagates unchanged; a
   * failure is reported, then skipped (Ignore) or thrown (Fail, as failWith makes it).
   */
  fail(error: unknown, kind: FailureKind, subject: A[0]): void {
    if (this.isAnswer?.(error)) throw error;
    this.reportFailure?.(this.plugin, kind, error, subject);
    if (this.policy.failurePolicy === "Ignore") return;
    throw this.failWith ? this.failWith(kind, error) : error;
  }
}

/** StepListener hears each finished call of one run (metrics, tracing spans, dry-run timings). */
export type StepListener<S extends TimedStep = TimedStep> = (step: S, seconds: number) => void;

/** recordDuration is the default listener: it observes the step's own duration series. */
export const recordDuration: StepListener = (step, seconds) => step.duration.observe(seconds);

/** secondsSince is the time from a performance.now() reading to now, in seconds. */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}


/** PluginTimeout is the error of an asynchronous call that did not settle in time. */
export class PluginTimeout extends Error {
  override readonly name = "PluginTimeout";
}

function within(pending: Promise<void>, timeoutMs: number): Promise<void> {
  if (!Number.isFinite(timeoutMs)) return pending;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new PluginTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
    pending.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * runChain runs steps in order with the same arguments. It stays synchronous while every plugin
 * is, and continues asynchronously from the first plugin that returns a promise (bounded by that
 * step's timeout), so the common all-synchronous chain costs no promise and no microtask. Each
 * finished call goes to `onStep` (default: the step's own duration series; a listener that also
 * wants the metric calls recordDuration itself). Failures follow each step's policy.
 */
export function runChain<A extends StepArguments, S extends PluginStep<A, void | Promise<void>, string>>(
  steps: readonly S[],
  args: A,
  onStep: StepListener<S> = recordDuration,
  from = 0,
): void | Promise<void> {
  for (let i = from; i < steps.length; i++) {
    const step = steps[i]!;
    const start = performance.now();
    let pending: void | Promise<void>;
    try {
      pending = step.invoke(...args);
    } catch (e) {
      onStep(step, secondsSince(start));
      step.fail(e, "error", args[0]);
      continue;
    }
    if (isPromise(pending)) {
      return within(pending, step.policy.timeoutMs).then(
        () => {
          onStep(step, secondsSince(start));
          return runChain(steps, args, onStep, i + 1);
        },
        (e: unknown) => {
          onStep(step, secondsSince(start));
          step.fail(e, e instanceof PluginTimeout ? "timeout" : "error", args[0]);
          return runChain(steps, args, onStep, i + 1);
        },
      );
    }
    onStep(step, secondsSince(start));
  }
}
