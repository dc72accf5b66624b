import type { Admission, EndpointSource, FlowAdmission } from "../api/admission.js";
import type { LlmRequest } from "../api/request.js";
import type { SaturationDetector } from "../api/saturation.js";
import type { EppMetrics } from "../metrics.js";
import type { FlowControlConfig } from "./config.js";
import { FlowController, type FlowControlObserver } from "./controller.js";
import type { DispatchOutcome, FlowKey } from "./types.js";

/**
 * FlowControlAdmission puts the EPP's requests through a FlowController. The pool counts as
 * saturated when the configured detector says so (closed loop, from scraped metrics) or when
 * the requests dispatched and not yet finished fill maxConcurrency per endpoint (open loop,
 * which reacts at once, before the next scrape shows the new load).
 */
export class FlowControlAdmission implements FlowAdmission {
  readonly controller: FlowController;
  private inFlight = 0;

  constructor(
    private readonly config: FlowControlConfig,
    private readonly endpoints: EndpointSource,
    private readonly detector: SaturationDetector,
    metrics: EppMetrics,
  ) {
    const observer = flowMetrics(metrics);
    this.controller = new FlowController(config.settings, () => this.saturation(), {
      queueChanged: observer.queueChanged,
      finished: (flow, outcome) => {
        // Counted at dispatch, synchronously: the controller reads saturation again before the
        // dispatched request's promise settles, and must see the slot taken.
        if (outcome.kind === "dispatched") this.inFlight++;
        observer.finished(flow, outcome);
      },
    });
  }

  /** saturation is the pool's load now: at or above 1 nothing more is dispatched. */
  saturation(): number {
    const list = this.endpoints.list();
    if (list.length === 0) return 1;
    const utilization = this.detector.saturation(list, performance.now());
    return Math.max(utilization, this.inFlight / (list.length * this.config.maxConcurrency));
  }

  /** inFlightRequests is the number of dispatched requests not yet finished. */
  get inFlightRequests(): number {
    return this.inFlight;
  }

  async admit(request: LlmRequest, sloMs: number | undefined, signal: AbortSignal): Promise<Admission> {
    const outcome = await this.controller.enqueue({
      requestId: request.requestId,
      flow: { id: request.fairnessId, priority: request.priority },
      byteSize: request.bodyBytes,
      sloMs,
      signal,
    });
    switch (outcome.kind) {
      case "dispatched": {
        let released = false;
        return {
          kind: "dispatched",
          release: () => {
            if (released) return;
            released = true;
            this.inFlight--;
            this.controller.notify();
          },
        };
      }
      case "rejected":
        return { kind: "rejected", reason: outcome.reason };
      case "expired":
        return { kind: "expired" };
      case "cancelled":
        return { kind: "cancelled" };
    }
  }

  close(): void {
    this.controller.close();
  }
}

/** flowMetrics maps queue changes and outcomes onto the EPP's flow-control metrics. */
function flowMetrics(metrics: EppMetrics): FlowControlObserver {
  const perFlow = new Map<string, number>();
  return {
    queueChanged(flow: FlowKey, requests: number, bytes: number) {
      const priority = String(flow.priority);
      metrics.flowQueueSize.inc({ priority }, requests);
      metrics.flowQueueBytes.inc({ priority }, bytes);
      const labels = { priority, fairness_id: flow.id };
      const key = `${priority}\u0000${flow.id}`;
      const left = (perFlow.get(key) ?? 0) + requests;
      if (left <= 0) {
        perFlow.delete(key);
        metrics.flowFlowQueueSize.remove(labels);
        metrics.flowFlowQueueBytes.remove(labels);
      } else {
        perFlow.set(key, left);
        metrics.flowFlowQueueSize.inc(labels, requests);
        metrics.flowFlowQueueBytes.inc(labels, bytes);
      }
    },
    finished(flow: FlowKey, outcome: DispatchOutcome) {
      const priority = String(flow.priority);
      metrics.flowOutcomes.inc({
        priority,
        outcome: outcome.kind,
        reason: outcome.kind === "rejected" ? outcome.reason : "",
      });
      if (outcome.kind !== "rejected")
        metrics.flowQueueDuration.observe({ priority, outcome: outcome.kind }, outcome.waitedMs / 1000);
    },
  };
}
