import { err, ok, type Result } from "../../common/result.js";
import type { DevgwConfig, RouteConfig } from "./config.js";
import { getHeader, type HeaderList } from "./headers.js";

/** UpstreamEndpoint is one backend address. */
export interface UpstreamEndpoint {
  readonly host: string;
  readonly port: number;
  /** address is "host:port" as written in the pool (and as an Endpoint Picker names it). */
  readonly address: string;
}

/** Pool is a set of endpoints with a round-robin cursor. */
export class Pool {
  private next = 0;

  constructor(
    readonly name: string,
    readonly endpoints: readonly UpstreamEndpoint[],
  ) {}

  /** roundRobin returns the next endpoint in turn. */
  roundRobin(): UpstreamEndpoint {
    const e = this.endpoints[this.next % this.endpoints.length]!;
    this.next = (this.next + 1) % this.endpoints.length;
    return e;
  }

  /**
   * pickListed returns the first endpoint of an Endpoint Picker list ("ip:port,ip:port") that
   * belongs to this pool. A picker may only choose among the pool's endpoints, so an address
   * outside the pool is skipped rather than trusted.
   */
  pickListed(list: string): UpstreamEndpoint | undefined {
    for (const item of list.split(",")) {
      const want = item.trim();
      const found = this.endpoints.find((e) => e.address === want);
      if (found) return found;
    }
    return undefined;
  }
}

/** Route is a compiled HTTPRoute rule. */
export interface Route {
  readonly name: string;
  readonly pool: Pool;
  readonly timeoutMs: number;
  matches(headers: HeaderList): boolean;
}

function compileRoute(spec: RouteConfig, pool: Pool): Route {
  const matchers = spec.matches.map((m) => {
    const headerTests = m.headers.map((h) => {
      const name = h.name.toLowerCase();
      if (h.type === "Exact") return (headers: HeaderList) => getHeader(headers, name) === h.value;
      const re = new RegExp(`^(?:${h.value})$`);
      return (headers: HeaderList) => {
        const v = getHeader(headers, name);
        return v !== undefined && re.test(v);
      };
    });
    return (headers: HeaderList) => {
      const path = (getHeader(headers, ":path") ?? "/").split("?", 1)[0]!;
      if (m.path) {
        const p = m.path;
        if (p.type === "Exact" ? path !== p.value : !hasPathPrefix(path, p.value)) return false;
      }
      if (m.method && getHeader(headers, ":method") !== m.method) return false;
      return headerTests.every((t) => t(headers));
    };
  });
  return {
    name: spec.name,
    pool,
    timeoutMs: spec.timeout,
    matches: (headers) => matchers.length === 0 || matchers.some((m) => m(headers)),
  };
}

/** hasPathPrefix is Gateway API's PathPrefix: a whole-segment prefix ("/v1" matches "/v1/x", not "/v1x"). */
function hasPathPrefix(path: string, prefix: string): boolean {
  const p = prefix.endsWith("/") && prefix !== "/" ? prefix.slice(0, -1) : prefix;
  return p === "/" || path === p || path.startsWith(`${p}/`);
}

function parseEndpoint(address: string): UpstreamEndpoint {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  return { host, port: Number(address.slice(i + 1)), address };
}

/** RouteError says why no endpoint was chosen. */
export interface RouteError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * RouteTable matches routes in config order (the first match wins) and picks an endpoint:
 * the processor-chosen destination when there is one, else round-robin in the pool.
 */
export class RouteTable {
  readonly pools = new Map<string, Pool>();
  readonly routes: readonly Route[];

  constructor(config: Pick<DevgwConfig, "routes" | "pools">) {
    for (const p of config.pools) this.pools.set(p.name, new Pool(p.name, p.endpoints.map(parseEndpoint)));
    this.routes = config.routes.map((r) => compileRoute(r, this.pools.get(r.backendRef)!));
  }

  match(headers: HeaderList): Route | undefined {
    return this.routes.find((r) => r.matches(headers));
  }

  pick(route: Route, destination: string | undefined): Result<UpstreamEndpoint, RouteError> {
    if (destination === undefined) return ok(route.pool.roundRobin());
    const e = route.pool.pickListed(destination);
    if (e) return ok(e);
    return err({
      status: 503,
      code: "destination_not_in_pool",
      message: `destination endpoint ${JSON.stringify(destination)} is not in pool "${route.pool.name}"`,
    });
  }
}
