import { type EndpointMetadata, joinHostPort } from "../../api/endpoint.js";

/** PoolSpec is what the EPP needs of an InferencePool: its pod selector and target ports. */
export interface PoolSpec {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly targetPorts: readonly number[];
}

/** ACTIVE_PORTS_ANNOTATION limits which of a pod's target ports are live (GIE). */
export const ACTIVE_PORTS_ANNOTATION = "inference.networking.k8s.io/active-ports";
/** Annotations declaring what a pod serves (label values cannot hold "/" in model names). */
export const MODELS_ANNOTATION = "inference-bbr.io/models";
export const LORA_ADAPTERS_ANNOTATION = "inference-bbr.io/lora-adapters";
export const MAX_LORAS_ANNOTATION = "inference-bbr.io/max-loras";

/** PodLike is the part of a Pod (typed list item or raw watch object) the EPP reads. */
export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: unknown;
  };
  status?: { podIP?: string; conditions?: readonly { type?: string; status?: string }[] };
}

function isStringMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string")
  );
}

/**
 * parsePoolSpec reads an InferencePool's spec: v1 (`selector.matchLabels`, `targetPorts`) or
 * v1alpha2 (`selector` as a plain map, `targetPortNumber`). Returns an error message for a pool
 * the EPP cannot serve.
 */
export function parsePoolSpec(pool: unknown): PoolSpec | string {
  const spec = (pool as { spec?: Record<string, unknown> } | undefined)?.spec;
  if (!spec) return "InferencePool has no spec";
  const selector = spec["selector"] as Record<string, unknown> | undefined;
  const matchLabels = isStringMap(selector?.["matchLabels"])
    ? selector["matchLabels"]
    : isStringMap(selector)
      ? selector
      : undefined;
  if (!matchLabels || Object.keys(matchLabels).length === 0)
    return "InferencePool spec.selector.matchLabels is missing or empty";
  const ports: number[] = [];
  const targetPorts = spec["targetPorts"];
  if (Array.isArray(targetPorts)) {
    for (const p of targetPorts) {
      const n = (p as { number?: unknown } | null)?.number;
      if (typeof n === "number" && Number.isInteger(n) && n > 0 && n <= 65535) ports.push(n);
    }
  } else if (typeof spec["targetPortNumber"] === "number") {
    ports.push(spec["targetPortNumber"]);
  }
  if (ports.length === 0) return "InferencePool spec.targetPorts has no valid port";
  return { matchLabels, targetPorts: [...new Set(ports)] };
}

/** labelSelectorOf renders matchLabels as a Kubernetes label selector string. */
export function labelSelectorOf(matchLabels: Readonly<Record<string, string>>): string {
  return Object.entries(matchLabels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** isPodReady is the reference's rule: condition Ready=True, not being deleted, and an IP assigned. */
export function isPodReady(pod: PodLike): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (!pod.status?.podIP) return false;
  return (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/**
 * endpointsOfPool builds one endpoint per ready, selected pod and target port, named
 * "<pod>-rank-<i>" and scraped on the same port, as the reference does.
 */
export function endpointsOfPool(pool: PoolSpec, pods: readonly PodLike[]): EndpointMetadata[] {
  const out: EndpointMetadata[] = [];
  const selector = Object.entries(pool.matchLabels);
  for (const pod of pods) {
    const labels = pod.metadata?.labels ?? {};
    if (!selector.every(([k, v]) => labels[k] === v) || !isPodReady(pod)) continue;
    const annotations = pod.metadata?.annotations ?? {};
    const active = list(annotations[ACTIVE_PORTS_ANNOTATION]).map(Number);
    const podName = pod.metadata?.name ?? "";
    const maxLoras = Number(annotations[MAX_LORAS_ANNOTATION]);
    for (const [rank, port] of pool.targetPorts.entries()) {
      if (active.length > 0 && !active.includes(port)) continue;
      const address = pod.status!.podIP!;
      out.push({
        key: joinHostPort(address, port),
        name: `${podName}-rank-${rank}`,
        namespace: pod.metadata?.namespace ?? "",
        podName,
        address,
        port,
        metricsPort: port,
        labels,
        models: list(annotations[MODELS_ANNOTATION]),
        loraAdapters: list(annotations[LORA_ADAPTERS_ANNOTATION]),
        maxLoras:
          Number.isInteger(maxLoras) && maxLoras >= 0 && annotations[MAX_LORAS_ANNOTATION] !== undefined
            ? maxLoras
            : undefined,
      });
    }
  }
  return out;
}
