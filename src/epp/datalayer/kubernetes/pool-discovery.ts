import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from "@kubernetes/client-node";
import type { Logger } from "../../../common/logger.js";
import type { EndpointStore } from "../datastore.js";
import type { DiscoveryObserver } from "../static-discovery.js";
import { endpointsOfPool, labelSelectorOf, type PodLike, type PoolSpec, parsePoolSpec } from "./pool.js";

/** DEFAULT_POOL_GROUP is the InferencePool API group (GIE v1). */
export const DEFAULT_POOL_GROUP = "inference.networking.k8s.io";
/** LEGACY_POOL_GROUP serves v1alpha2 InferencePools. */
export const LEGACY_POOL_GROUP = "inference.networking.x-k8s.io";

/** KubernetesDiscoveryOptions name the pool to follow and where. */
export interface KubernetesDiscoveryOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly poolName: string;
  readonly poolGroup: string;
  readonly store: EndpointStore;
  readonly logger: Logger;
  readonly observer?: DiscoveryObserver;
  /** First retry delay after a failed list or watch (doubling up to 30 s). */
  readonly retryDelayMs?: number;
}

const MAX_RETRY_DELAY_MS = 30_000;

/**
 * KubernetesDiscovery follows one InferencePool and its Ready pods with list/watch: the pool's
 * selector and target ports decide which pods (and ports) become endpoints. A pool that
 * disappears or becomes invalid empties the store (nothing to route to), and a failed list or
 * watch is retried with backoff while the last known endpoints keep serving.
 */
export class KubernetesDiscovery {
  private readonly poolWatch: ListWatch<KubernetesObject>;
  private podWatch: ListWatch<KubernetesObject> | undefined;
  private podSelector: string | undefined;
  private pool: PoolSpec | undefined;
  private recomputeQueued = false;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly watch: Watch;
  private readonly core: CoreV1Api;

  constructor(private readonly options: KubernetesDiscoveryOptions) {
    const { kubeConfig, namespace, poolName, poolGroup } = options;
    this.watch = new Watch(kubeConfig);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const version = poolGroup === LEGACY_POOL_GROUP ? "v1alpha2" : "v1";
    const fieldSelector = `metadata.name=${poolName}`;
    this.poolWatch = new ListWatch<KubernetesObject>(
      `/apis/${poolGroup}/${version}/namespaces/${namespace}/inferencepools`,
      this.watch,
      () =>
        custom.listNamespacedCustomObject({
          group: poolGroup,
          version,
          namespace,
          plural: "inferencepools",
          fieldSelector,
        }) as Promise<KubernetesListObject<KubernetesObject>>,
      false,
      undefined,
      fieldSelector,
    );
    this.poolWatch.on("add", (pool) => this.poolChanged(pool));
    this.poolWatch.on("update", (pool) => this.poolChanged(pool));
    this.poolWatch.on("delete", () => this.poolGone());
    const backoff = { delay: 0 };
    this.poolWatch.on("error", (e) => this.retry("InferencePool", e, () => this.startPool(backoff), backoff));
    this.poolWatch.on("add", () => {
      backoff.delay = 0;
    });
  }

  /** start begins watching; it does not wait for the first list (readiness reports that). */
  start(): void {
    void this.startPool({ delay: 0 });
  }

  private async startPool(backoff: { delay: number }): Promise<void> {
    try {
      await this.poolWatch.start();
    } catch (e) {
      this.retry("InferencePool", e, () => this.startPool(backoff), backoff);
    }
  }

  /** stop ends every watch and pending retry. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.poolWatch.stop();
    await this.podWatch?.stop();
  }

  private retry(what: string, error: unknown, again: () => Promise<void>, attempt = { delay: 0 }): void {
    if (this.stopped) return;
    const base = this.options.retryDelayMs ?? 1000;
    attempt.delay = attempt.delay === 0 ? base : Math.min(attempt.delay * 2, MAX_RETRY_DELAY_MS);
    this.options.logger.warn(
      { resource: what, err: describe(error), retryInMs: attempt.delay },
      "kubernetes list/watch failed",
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) void again();
    }, attempt.delay);
    timer.unref();
    this.timers.add(timer);
  }

  private poolChanged(pool: KubernetesObject): void {
    const spec = parsePoolSpec(pool);
    if (typeof spec === "string") {
      this.options.logger.error(
        { pool: this.options.poolName, err: spec },
        "InferencePool rejected; serving no endpoints",
      );
      this.pool = undefined;
      this.stopPods();
      this.apply([], "rejected");
      return;
    }
    this.pool = spec;
    const selector = labelSelectorOf(spec.matchLabels);
    if (selector !== this.podSelector) this.watchPods(selector);
    else this.queueRecompute();
  }

  private poolGone(): void {
    this.options.logger.warn({ pool: this.options.poolName }, "InferencePool deleted; serving no endpoints");
    this.pool = undefined;
    this.stopPods();
    this.apply([], "applied");
  }

  private stopPods(): void {
    void this.podWatch?.stop();
    this.podWatch = undefined;
    this.podSelector = undefined;
  }

  private watchPods(selector: string): void {
    this.stopPods();
    const { namespace } = this.options;
    const watch = new ListWatch<KubernetesObject>(
      `/api/v1/namespaces/${namespace}/pods`,
      this.watch,
      () =>
        this.core.listNamespacedPod({ namespace, labelSelector: selector }) as Promise<
          KubernetesListObject<KubernetesObject>
        >,
      false,
      selector,
    );
    const backoff = { delay: 0 };
    const attempt = { errored: false };
    const changed = () => {
      backoff.delay = 0;
      if (this.podWatch === watch) this.queueRecompute();
    };
    watch.on("add", changed);
    watch.on("update", changed);
    watch.on("delete", changed);
    watch.on("error", (e) => {
      attempt.errored = true;
      if (this.podWatch === watch) this.retry("Pod", e, () => this.startPods(watch, attempt), backoff);
    });
    this.podWatch = watch;
    this.podSelector = selector;
    void this.startPods(watch, attempt);
  }

  private async startPods(watch: ListWatch<KubernetesObject>, attempt: { errored: boolean }): Promise<void> {
    attempt.errored = false;
    try {
      await watch.start();
    } catch (e) {
      attempt.errored = true;
      if (this.podWatch === watch) this.retry("Pod", e, () => this.startPods(watch, attempt));
      return;
    }
    // An empty list fires no callbacks, yet it is a complete answer: zero endpoints. A failed
    // list is no answer at all, so the previous endpoints stay.
    if (this.podWatch === watch && !attempt.errored) this.queueRecompute();
  }

  private queueRecompute(): void {
    if (this.recomputeQueued) return;
    this.recomputeQueued = true;
    // Coalesce the burst of add callbacks an initial list fires into one rebuild.
    queueMicrotask(() => {
      this.recomputeQueued = false;
      if (this.stopped || !this.pool || !this.podWatch) return;
      this.apply(endpointsOfPool(this.pool, this.podWatch.list() as readonly PodLike[]), "applied");
    });
  }

  private apply(endpoints: Parameters<EndpointStore["replaceAll"]>[0], result: "applied" | "rejected"): void {
    const { added, removed } = this.options.store.replaceAll(endpoints);
    if (added > 0 || removed > 0) {
      this.options.logger.info(
        { pool: this.options.poolName, endpoints: endpoints.length, added, removed },
        "endpoints updated",
      );
    }
    this.options.observer?.(result);
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === "object" && e !== null && "statusCode" in e)
    return `HTTP ${(e as { statusCode: unknown }).statusCode}`;
  return String(e);
}
