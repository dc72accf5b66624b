/**
 * EndpointMetadata is what discovery knows about one model-server endpoint (one pod target
 * port, or one entry of the static endpoints file). It is replaced, never mutated.
 */
export interface EndpointMetadata {
  /** key is "ip:port" ("[v6]:port" for IPv6): the identity and the destination string. */
  readonly key: string;
  /** name is "<pod>-rank-<i>" for Kubernetes endpoints, the file's name for static ones. */
  readonly name: string;
  readonly namespace: string;
  readonly podName: string;
  readonly address: string;
  readonly port: number;
  /** metricsPort is where /metrics is scraped (the serving port unless configured otherwise). */
  readonly metricsPort: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Base models the endpoint declares it serves; empty (with no adapters) means "any model". */
  readonly models: readonly string[];
  /** LoRA adapters the endpoint declares it can serve. */
  readonly loraAdapters: readonly string[];
  /** Declared LoRA capacity, used when the server does not report max_lora. */
  readonly maxLoras: number | undefined;
}

/** EndpointMetrics is one scrape of a model server, normalised across engines. */
export interface EndpointMetrics {
  readonly waitingQueueSize: number;
  readonly runningRequestsSize: number;
  /** kvCacheUsagePercent is a fraction in [0,1] despite the name (vLLM's naming). */
  readonly kvCacheUsagePercent: number;
  /** LoRA adapters running and waiting (vllm:lora_requests_info). */
  readonly activeModels: ReadonlySet<string>;
  readonly waitingModels: ReadonlySet<string>;
  /** maxActiveModels is max_lora; 0 when the server reports none. */
  readonly maxActiveModels: number;
  /** KV cache block size in tokens and number of blocks; 0 when unknown. */
  readonly cacheBlockSize: number;
  readonly cacheNumBlocks: number;
  /** updatedAt is performance.now() at the end of the scrape that produced these values. */
  readonly updatedAt: number;
}

/**
 * Endpoint is the scheduling view of one endpoint. Scheduling is synchronous, so plugins see a
 * consistent endpoint for the whole cycle without copies: the data layer swaps whole metadata
 * and metrics objects between cycles, never fields inside them.
 */
export interface Endpoint {
  readonly metadata: EndpointMetadata;
  /** lastMetrics is the latest scrape, however old; undefined before the first success. */
  readonly lastMetrics: EndpointMetrics | undefined;
  /**
   * metricsAt returns the latest scrape if it is fresh at `now` (performance.now()), else
   * undefined: stale metrics make the endpoint "unknown" to load-based plugins.
   */
  metricsAt(now: number): EndpointMetrics | undefined;
}

/** joinHostPort renders a destination like Go's net.JoinHostPort (brackets for IPv6). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** splitHostPort parses "ip:port", "[v6]:port" or a bare IP (port undefined); undefined when malformed. */
export function splitHostPort(value: string): { host: string; port: number | undefined } | undefined {
  const v = value.trim();
  if (v === "") return undefined;
  if (v.startsWith("[")) {
    const close = v.indexOf("]");
    if (close < 0) return undefined;
    const host = v.slice(1, close);
    const rest = v.slice(close + 1);
    if (rest === "") return { host, port: undefined };
    if (!rest.startsWith(":")) return undefined;
    const port = parsePort(rest.slice(1));
    return port === undefined ? undefined : { host, port };
  }
  const colons = v.split(":").length - 1;
  if (colons === 0) return { host: v, port: undefined };
  if (colons > 1) return { host: v, port: undefined }; // a bare IPv6 address
  const [host, portText] = v.split(":") as [string, string];
  const port = parsePort(portText);
  return port === undefined || host === "" ? undefined : { host, port };
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 && n <= 65535 ? n : undefined;
}
