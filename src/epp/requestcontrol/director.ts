import { type Logger, silentLogger } from "../../common/logger.js";
import { RequestError } from "../../common/request-error.js";
import { err, ok, type Result } from "../../common/result.js";
import { CycleState } from "../../plugin/cycle-state.js";
import type { Plugin } from "../../plugin/plugin.js";
import { histogramDurations, PluginStep, secondsSince, type StepArguments, type StepOptions } from "../../plugin/runner.js";
import type { Admission, EndpointSource, FlowAdmission } from "../api/admission.js";
import { type Endpoint, joinHostPort, splitHostPort } from "../api/endpoint.js";
import type { CompletedResponse, MutableResponseHeaders, ResponseView } from "../api/request-control.js";
import type { LlmRequest } from "../api/request.js";
import type { SchedulingResult } from "../api/scheduling.js";
import type { LoadedEppConfig } from "../config/loader.js";
import type { EppMetrics } from "../metrics.js";
import {
  DEFAULT_FAIRNESS_ID,
  DEFAULT_PATH,
  DROPPED_REASON,
  FAIRNESS_HEADERS,
  firstHeader,
  MODEL_REWRITE_HEADERS,
  OBJECTIVE_HEADERS,
  PATH_HEADERS,
  REQUEST_ID,
} from "./wire.js";
import type { Scheduler } from "../scheduling/scheduler.js";
import type { ObjectiveStore } from "./objectives.js";

/** DirectorDeps are the long-lived parts a director works with. */
export interface DirectorDeps {
  readonly config: LoadedEppConfig;
  /**
   * scheduler runs the scheduling cycle; default: config.scheduler observing
   * metrics.pluginDuration.
   */
  readonly scheduler?: Scheduler | undefined;
  readonly endpoints: EndpointSource;
  readonly objectives: ObjectiveStore;
  readonly metrics: EppMetrics;
  readonly random: () => number;
  /** subsetFilter honours the data plane's subset hint (GIE --disable-endpoint-subset-filter turns it off). */
  readonly subsetFilter: boolean;
  /** admission is flow control when the flowControl gate is on; otherwise legacy shedding applies. */
  readonly admission?: FlowAdmission | undefined;
  /** logger hears about failing ResponseComplete plugins; default: silent. */
  readonly logger?: Logger | undefined;
}

/** Decision is a scheduled request: where it goes and what its body becomes. */
export interface Decision {
  readonly request: LlmRequest;
  readonly result: SchedulingResult;
  /** destinations are "ip:port" values, primary first (the header and metadata value joined by commas). */
  readonly destinations: readonly string[];
  /** newBody is set when the body changed (model rewrite); otherwise the original bytes go on. */
  readonly newBody: Uint8Array | undefined;
  /** release ends the request's in-flight slot under flow control; call once when the stream ends. */
  readonly release?: (() => void) | undefined;
}

/** SLO_TTFT_HEADER carries the client's time-to-first-token objective in ms (EDF ordering). */
export const SLO_TTFT_HEADER = "x-slo-ttft-ms";

interface Prepared {
  readonly request: LlmRequest;
  readonly candidates: readonly Endpoint[];
  readonly newBody: Uint8Array | undefined;
  fail(e: RequestError): Result<never, RequestError>;
}

/** RequestInput is what the stream processor hands over once the request body is complete. */
export interface RequestInput {
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
  readonly subsetHint: readonly string[] | undefined;
  readonly requestId: string;
}

const encoder = new TextEncoder();

/** requestPath is :path, or its proxy fallbacks, or /v1/completions. */
export function requestPath(headers: ReadonlyMap<string, string>): string {
  return firstHeader(headers, PATH_HEADERS) ?? DEFAULT_PATH;
}

/**
 * refusal is the answer to a request flow control did not dispatch. The reason header uses
 * llm-d-router's vocabulary.
 */
function refusal(admission: Exclude<Admission, { kind: "dispatched" }>): RequestError {
  switch (admission.kind) {
    case "rejected":
      return new RequestError("ResourceExhausted", `flow control queue is full (${admission.reason})`, {
        reason: admission.reason === "shutting-down" ? "shutting_down" : "queue_full",
        headers: { [DROPPED_REASON]: "rejected-capacity" },
      });
    case "expired":
      return new RequestError("ServiceUnavailable", "request timed out waiting for capacity", {
        reason: "queue_ttl_expired",
        headers: { [DROPPED_REASON]: "rejected-ttl-expired" },
      });
    case "cancelled":
      return new RequestError("ServiceUnavailable", "request cancelled while queued", { reason: "cancelled" });
  }
}

/**
 * Director runs the request-control path of one request: parse the body, locate candidates
 * (subset hint), admit (shed sheddable requests when saturated), produce data, schedule, run
 * PreRequest; then the response hooks. Every refusal is a RequestError with the status the
 * protocol prescribes. Every plugin call goes through a PluginStep, timed into
 * metrics.pluginDuration.
 */
export class Director {
  private readonly scheduler: Scheduler;
  private readonly producers: readonly PluginStep<[LlmRequest, readonly Endpoint[]], void>[];
  private readonly preRequest: readonly PluginStep<[LlmRequest, SchedulingResult, Endpoint], void>[];
  private readonly responseHeader: readonly PluginStep<[MutableResponseHeaders], void>[];
  private readonly responseBody: readonly PluginStep<[ResponseView, Uint8Array, boolean], void>[];
  private readonly responseComplete: readonly PluginStep<[CompletedResponse], void>[];

  constructor(private readonly deps: DirectorDeps) {
    const { config, metrics } = deps;
    const durations = histogramDurations(metrics.pluginDuration);
    this.scheduler = deps.scheduler ?? config.scheduler.withDurations(durations);
    const step = <A extends StepArguments>(
      plugin: Plugin,
      extensionPoint: string,
      invoke: (...args: A) => void,
      options: StepOptions<A[0], void> = {},
    ) => new PluginStep(plugin, extensionPoint, invoke, { duration: durations(plugin, extensionPoint), ...options });
    // A request-side or streaming hook must not throw: a throw is a bug and fails the stream.
    // ResponseComplete runs when the response is already on its way, so a failure is logged.
    const logger = deps.logger ?? silentLogger();
    const logFailure: StepOptions<CompletedResponse, void> = {
      policy: { failurePolicy: "Ignore", timeoutMs: Number.POSITIVE_INFINITY },
      reportFailure: (plugin, _kind, e, response) =>
        logger.error(
          { requestId: response.request.requestId, plugin: plugin.typedName.name, err: (e as Error).message },
          "ResponseComplete plugin failed",
        ),
    };
    this.producers = config.producers.map((p) =>
      step(p, "DataProducer", (r: LlmRequest, e: readonly Endpoint[]) => p.prepareRequestData(r, e)),
    );
    this.preRequest = config.preRequest.map((p) =>
      step(p, "PreRequest", (r: LlmRequest, s: SchedulingResult, t: Endpoint) => p.preRequest(r, s, t)),
    );
    this.responseHeader = config.responseHeader.map((p) =>
      step(p, "ResponseHeader", (r: MutableResponseHeaders) => p.responseHeader(r)),
    );
    this.responseBody = config.responseBody.map((p) =>
      step(p, "ResponseBody", (r: ResponseView, chunk: Uint8Array, eos: boolean) => p.responseBody(r, chunk, eos)),
    );
    this.responseComplete = config.responseComplete.map((p) =>
      step(p, "ResponseComplete", (r: CompletedResponse) => p.responseComplete(r), logFailure),
    );
  }

  /** handleResponseHeaders runs the ResponseHeader plugins; they may set response headers through `response`. */
  handleResponseHeaders(response: MutableResponseHeaders): void {
    for (const step of this.responseHeader) step.call(response);
  }

  /** handleResponseBody runs the ResponseBody plugins on one chunk as it streams through. */
  handleResponseBody(response: ResponseView, chunk: Uint8Array, endOfStream: boolean): void {
    for (const step of this.responseBody) step.call(response, chunk, endOfStream);
  }

  /** handleResponseComplete runs the ResponseComplete plugins once per scheduled request; a failing one is logged. */
  handleResponseComplete(response: CompletedResponse): void {
    for (const step of this.responseComplete) step.call(response);
  }

  /** candidates are the endpoints a request may use: the pool, narrowed by the subset hint when present. */
  candidates(subsetHint: readonly string[] | undefined): Result<readonly Endpoint[], RequestError> {
    const pool = this.deps.endpoints.list();
    if (subsetHint === undefined || !this.deps.subsetFilter) {
      return pool.length > 0 ? ok(pool) : err(noEndpoints("no ready endpoints in the pool", "no_ready_endpoints"));
    }
    if (subsetHint.length === 0) return err(noEndpoints("the endpoint subset hint is empty", "empty_endpoint_subset"));
    const subset = filterBySubset(pool, subsetHint);
    return subset.length > 0
      ? ok(subset)
      : err(noEndpoints("no ready endpoint matches the endpoint subset hint", "unmatched_endpoint_subset"));
  }

  /**
   * pickWithoutBody serves a request that has no body (e.g. GET /v1/models): one random
   * candidate, no scheduling, as the reference does.
   */
  pickWithoutBody(subsetHint: readonly string[] | undefined): Result<string, RequestError> {
    const candidates = this.candidates(subsetHint);
    if (!candidates.ok) return candidates;
    const list = candidates.value;
    return ok(list[Math.floor(this.deps.random() * list.length)]!.metadata.key);
  }

  /** handleRequest schedules a request with a complete body (flow control off). */
  handleRequest(input: RequestInput): Result<Decision, RequestError> {
    const prepared = this.prepare(input);
    if (!prepared.ok) return prepared;
    return this.decide(prepared.value, prepared.value.candidates, true);
  }

  /**
   * admitAndSchedule is handleRequest behind flow control when it is on: the request waits in
   * its priority band and flow until the pool has room, then is scheduled on the endpoints as
   * they are at dispatch time (late binding). Without flow control it is handleRequest.
   */
  admitAndSchedule(
    input: RequestInput,
    signal: AbortSignal,
  ): Result<Decision, RequestError> | Promise<Result<Decision, RequestError>> {
    const admission = this.deps.admission;
    if (!admission) return this.handleRequest(input);
    const prepared = this.prepare(input);
    if (!prepared.ok) return prepared;
    const p = prepared.value;
    const slo = Number(input.headers.get(SLO_TTFT_HEADER));
    return admission.admit(p.request, Number.isFinite(slo) && slo > 0 ? slo : undefined, signal).then((admitted) => {
      if (admitted.kind !== "dispatched") return p.fail(refusal(admitted));
      // Late binding: the pool may have changed while the request waited.
      const candidates = this.candidates(input.subsetHint);
      const decided = candidates.ok ? this.decide(p, candidates.value, false) : p.fail(candidates.error);
      if (!decided.ok) {
        admitted.release();
        return decided;
      }
      return ok({ ...decided.value, release: admitted.release });
    });
  }

  /** prepare parses the body and builds the scheduling request (everything before admission). */
  private prepare(input: RequestInput): Result<Prepared, RequestError> {
    const { config, metrics } = this.deps;
    const parsed = config.parser.parse(requestPath(input.headers), input.body, input.headers);
    if (!parsed.ok) return parsed;
    const body = parsed.value;
    const rewrite = firstHeader(input.headers, MODEL_REWRITE_HEADERS);
    const targetModel = rewrite ?? body.model;
    const modelLabels = {
      model_name: metrics.modelLabel(body.model),
      target_model_name: metrics.modelLabel(targetModel),
    };
    const fail = (e: RequestError): Result<never, RequestError> => {
      metrics.objectiveErrors.inc({ ...modelLabels, error_code: e.code });
      return err(e);
    };

    const candidates = this.candidates(input.subsetHint);
    if (!candidates.ok) return fail(candidates.error);
    const objective = firstHeader(input.headers, OBJECTIVE_HEADERS);
    const request: LlmRequest = {
      ...body,
      requestId: input.requestId,
      targetModel,
      objective,
      priority: this.deps.objectives.priorityOf(objective),
      fairnessId: firstHeader(input.headers, FAIRNESS_HEADERS) ?? DEFAULT_FAIRNESS_ID,
      headers: input.headers,
      bodyBytes: input.body.length,
      state: new CycleState(),
      now: performance.now(),
    };
    metrics.objectiveRequests.inc(modelLabels);
    const newBody =
      rewrite !== undefined && rewrite !== body.model
        ? encoder.encode(JSON.stringify({ ...body.body, model: rewrite }))
        : undefined;
    return ok({ request, candidates: candidates.value, newBody, fail });
  }

  /** decide schedules a prepared request over candidates and records the decision time. */
  private decide(
    p: Prepared,
    candidates: readonly Endpoint[],
    legacyAdmission: boolean,
  ): Result<Decision, RequestError> {
    const request = legacyAdmission ? p.request : { ...p.request, now: performance.now() };
    const start = performance.now();
    const scheduled = this.schedule(request, candidates, legacyAdmission);
    this.deps.metrics.schedulerDuration.observe(secondsSince(start));
    if (!scheduled.ok) return p.fail(scheduled.error);
    return ok({ ...scheduled.value, newBody: p.newBody });
  }

  private schedule(
    request: LlmRequest,
    candidates: readonly Endpoint[],
    legacyAdmission: boolean,
  ): Result<Omit<Decision, "newBody">, RequestError> {
    const { config } = this.deps;
    // Legacy admission (flow control off): only sheddable requests are ever refused for load.
    if (legacyAdmission && request.priority < 0 && config.saturationDetector.saturation(candidates, request.now) >= 1) {
      return err(
        new RequestError("ResourceExhausted", "system saturated, sheddable request dropped", {
          reason: "sheddable_request_dropped",
          headers: { [DROPPED_REASON]: "rejected-saturated" },
        }),
      );
    }
    for (const producer of this.producers) producer.call(request, candidates);
    const scheduled = this.scheduler.schedule(request, candidates);
    if (!scheduled.ok) {
      const drained = scheduled.error.drained;
      if (drained) {
        return err(
          new RequestError(drained.code, drained.message, {
            reason: drained.reason,
            headers: {
              [DROPPED_REASON]: drained.code === "ResourceExhausted" ? "rejected-saturated" : "rejected-no-endpoints",
            },
          }),
        );
      }
      return err(
        new RequestError("ResourceExhausted", "failed to find target endpoint", {
          reason: "no_endpoint_available",
          headers: { [DROPPED_REASON]: "rejected-saturated" },
        }),
      );
    }
    const result = scheduled.value;
    const targets = result.profileResults.get(result.primaryProfileName)!.targetEndpoints;
    const target = targets[0]!;
    for (const step of this.preRequest) step.call(request, result, target);
    return ok({ request, result, destinations: targets.map((e) => e.metadata.key) });
  }
}

function noEndpoints(message: string, reason: string): RequestError {
  return new RequestError("ServiceUnavailable", message, {
    reason,
    headers: { [DROPPED_REASON]: "rejected-no-endpoints" },
  });
}

/**
 * filterBySubset keeps the endpoints the subset lists: an "ip:port" entry selects exactly that
 * endpoint, a bare IP selects every port of that address. (The reference matches on IP only;
 * honouring the port keeps "pick only from that list" true for multi-port pods.)
 */
export function filterBySubset(pool: readonly Endpoint[], subset: readonly string[]): Endpoint[] {
  const keys = new Set<string>();
  const ips = new Set<string>();
  for (const entry of subset) {
    const parsed = splitHostPort(entry);
    if (!parsed) continue;
    if (parsed.port === undefined) ips.add(parsed.host);
    else keys.add(joinHostPort(parsed.host, parsed.port));
  }
  return pool.filter((e) => keys.has(e.metadata.key) || ips.has(e.metadata.address));
}

/** requestIdOf returns x-request-id or a fresh UUID. */
export function requestIdOf(headers: ReadonlyMap<string, string>): string {
  return headers.get(REQUEST_ID) || crypto.randomUUID();
}
