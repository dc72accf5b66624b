import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** KubeObject is a Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

type Resource = "inferencepools" | "pods";
type EventType = "ADDED" | "MODIFIED" | "DELETED";

interface WatchEvent {
  readonly rv: number;
  readonly resource: Resource;
  readonly type: EventType;
  readonly object: KubeObject;
}

interface Watcher {
  readonly resource: Resource;
  readonly matches: (o: KubeObject) => boolean;
  readonly res: ServerResponse;
}

/** RequestRecord is one API request the fake served. */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly authorization: string | undefined;
}

const ROUTE = /^\/(?:apis\/([^/]+)\/([^/]+)|api\/v1)\/namespaces\/([^/]+)\/(inferencepools|pods)$/;

function labelMatcher(selector: string | undefined): (o: KubeObject) => boolean {
  if (!selector) return () => true;
  const pairs = selector.split(",").map((p) => p.split("=") as [string, string]);
  return (o) => pairs.every(([k, v]) => o.metadata.labels?.[k] === v);
}

function fieldMatcher(selector: string | undefined): (o: KubeObject) => boolean {
  if (!selector) return () => true;
  const m = /^metadata\.name=(.+)$/.exec(selector);
  if (!m) return () => false;
  return (o) => o.metadata.name === m[1];
}

/**
 * FakeKubeApi is a small real HTTP server speaking the Kubernetes list and watch API for
 * InferencePools (any group/version) and Pods in one namespace: lists carry a resourceVersion,
 * watches stream newline-delimited events after the requested version, filtered by label and
 * field selectors. Tests drive it by changing objects and can fail lists or cut watches.
 */
export class FakeKubeApi {
  private readonly server: Server;
  private rv = 100;
  private readonly objects: Record<Resource, Map<string, KubeObject>> = { inferencepools: new Map(), pods: new Map() };
  private readonly events: WatchEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly failures: Record<Resource, number[]> = { inferencepools: [], pods: [] };
  readonly requests: RequestRecord[] = [];
  port = 0;

  constructor(readonly namespace = "default") {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** url is the API server address for a kubeconfig. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** kubeconfig renders a kubeconfig pointing at this server with a bearer token. */
  kubeconfig(token = "test-token"): string {
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      // The client refuses plain HTTP unless TLS verification is explicitly off.
      `- name: fake\n  cluster: {server: "${this.url}", insecure-skip-tls-verify: true}`,
      "users:",
      `- name: fake\n  user: {token: ${token}}`,
      "contexts:",
      "- name: fake\n  context: {cluster: fake, user: fake}",
      "current-context: fake",
      "",
    ].join("\n");
  }

  /** apply creates or replaces an object and notifies watchers. */
  apply(resource: Resource, object: KubeObject): void {
    const exists = this.objects[resource].has(object.metadata.name);
    const stored = {
      ...object,
      metadata: { ...object.metadata, namespace: this.namespace, resourceVersion: String(++this.rv) },
    };
    this.objects[resource].set(object.metadata.name, stored);
    this.emit({ rv: this.rv, resource, type: exists ? "MODIFIED" : "ADDED", object: stored });
  }

  /** remove deletes an object and notifies watchers. */
  remove(resource: Resource, name: string): void {
    const old = this.objects[resource].get(name);
    if (!old) return;
    this.objects[resource].delete(name);
    const gone = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
    this.emit({ rv: this.rv, resource, type: "DELETED", object: gone });
  }

  /** failLists makes the next list requests of a resource answer these HTTP statuses. */
  failLists(resource: Resource, ...statuses: number[]): void {
    this.failures[resource].push(...statuses);
  }

  /** closeWatches ends every open watch (as an API server restart or timeout does). */
  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** openWatches counts open watch streams of a resource. */
  openWatches(resource: Resource): number {
    return [...this.watchers].filter((w) => w.resource === resource).length;
  }

  private emit(event: WatchEvent): void {
    this.events.push(event);
    for (const w of this.watchers) {
      if (w.resource === event.resource && w.matches(event.object)) this.send(w.res, event);
    }
  }

  private send(res: ServerResponse, event: WatchEvent): void {
    res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({
      method: req.method ?? "",
      path: url.pathname,
      query,
      authorization: req.headers.authorization,
    });
    const m = ROUTE.exec(url.pathname);
    if (req.method !== "GET" || !m || m[3] !== this.namespace) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Status", code: 404 }));
      return;
    }
    const resource = m[4] as Resource;
    const matches = (
      (l, f) => (o: KubeObject) =>
        l(o) && f(o)
    )(labelMatcher(query["labelSelector"]), fieldMatcher(query["fieldSelector"]));
    if (query["watch"] === "true") {
      const since = Number(query["resourceVersion"] ?? "0");
      res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
      res.flushHeaders();
      for (const e of this.events) if (e.resource === resource && e.rv > since && matches(e.object)) this.send(res, e);
      const watcher: Watcher = { resource, matches, res };
      this.watchers.add(watcher);
      req.on("close", () => this.watchers.delete(watcher));
      return;
    }
    const failure = this.failures[resource].shift();
    if (failure !== undefined) {
      res
        .writeHead(failure, { "content-type": "application/json" })
        .end(JSON.stringify({ kind: "Status", code: failure }));
      return;
    }
    const items = [...this.objects[resource].values()].filter(matches);
    const kind = resource === "pods" ? "PodList" : "InferencePoolList";
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        apiVersion: resource === "pods" ? "v1" : `${m[1]}/${m[2]}`,
        kind,
        metadata: { resourceVersion: String(this.rv) },
        items,
      }),
    );
  }
}

/** pool builds an InferencePool (v1) object. */
export function pool(name: string, matchLabels: Record<string, string>, targetPorts: number[]): KubeObject {
  return {
    apiVersion: "inference.networking.k8s.io/v1",
    kind: "InferencePool",
    metadata: { name },
    spec: { selector: { matchLabels }, targetPorts: targetPorts.map((number) => ({ number })) },
  };
}

/** pod builds a Pod object; ready adds the Ready=True condition. */
export function pod(
  name: string,
  ip: string,
  labels: Record<string, string>,
  options: { ready?: boolean; annotations?: Record<string, string>; deleting?: boolean } = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      labels,
      ...(options.annotations ? { annotations: options.annotations } : {}),
      ...(options.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
    },
    spec: { containers: [{ name: "server", image: "vllm" }] },
    status: {
      phase: "Running",
      podIP: ip,
      conditions: [{ type: "Ready", status: options.ready === false ? "False" : "True" }],
    },
  };
}
