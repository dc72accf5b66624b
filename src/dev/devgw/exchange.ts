import { randomUUID } from "node:crypto";
import {
  type Agent,
  type IncomingMessage,
  request as httpRequest,
  type ClientRequest as UpstreamRequest,
  type ServerResponse,
} from "node:http";
import { constants as h2constants, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { Logger } from "../../common/logger.js";
import { ExtProcFilter, type FilterCallbacks, type FilterFailure, type LocalReply } from "./extproc-filter.js";
import { fromRawHeaders, getHeader, type HeaderList, isHopByHop, toNodeHeaders } from "./headers.js";
import type { ProcessorClient } from "./processor-client.js";
import type { UpstreamEndpoint, Route, RouteTable } from "./router.js";

/** Response headers telling which route and endpoint served a request (development aid). */
export const ROUTE_HEADER = "x-devgw-route";
export const ENDPOINT_HEADER = "x-devgw-endpoint";

type ClientRequest = IncomingMessage | Http2ServerRequest;
type ClientResponse = ServerResponse | Http2ServerResponse;

/** GatewayContext is what every exchange of one listener shares. */
export interface GatewayContext {
  readonly routes: RouteTable;
  readonly processors: readonly ProcessorClient[];
  readonly agent: Agent;
  readonly logger: Logger;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** errorBody is the OpenAI-shaped body of the data plane's own error answers. */
export function errorBody(status: number, code: string, message: string): Uint8Array {
  const type = status === 404 ? "not_found_error" : status >= 500 ? "server_error" : "invalid_request_error";
  return encoder.encode(JSON.stringify({ error: { message, type, code } }));
}

/**
 * Exchange carries one HTTP request through the listener's ext_proc filters (in order), the
 * route table and the upstream, and the response back through the filters (in reverse order),
 * as Envoy's decoder and encoder filter chains do.
 */
export class Exchange {
  private readonly filters: ExtProcFilter[];
  private cachedRoute: Route | undefined;
  private routeCleared = false;
  private destination: string | undefined;
  private route: Route | undefined;
  private endpoint: UpstreamEndpoint | undefined;
  private upstream: UpstreamRequest | undefined;
  private upstreamResponse: IncomingMessage | undefined;
  private routeTimer: NodeJS.Timeout | undefined;
  private done = false;
  private status = 0;
  private readonly started = performance.now();

  constructor(
    private readonly ctx: GatewayContext,
    private readonly req: ClientRequest,
    private readonly res: ClientResponse,
  ) {
    this.filters = ctx.processors.map((p, i) => new ExtProcFilter(p, this.callbacksFor(i)));
  }

  start(): void {
    const headers = requestHeaderList(this.req);
    // Envoy computes (and caches) the route before the filters run; only clear_route_cache
    // makes it look again at the mutated headers.
    this.cachedRoute = this.ctx.routes.match(headers);
    const endOfStream = requestHasNoBody(this.req);
    this.res.on("close", () => this.onClientClose());
    this.req.on("error", () => this.abort());
    this.decodeHeaders(0, headers, endOfStream);
    if (endOfStream) {
      this.req.resume();
      return;
    }
    this.req.on("data", (chunk: Buffer) => this.decodeData(0, chunk, false));
    this.req.on("end", () => {
      const trailers = fromRawHeaders(this.req.rawTrailers);
      if (trailers.length > 0) this.decodeTrailers(0, trailers);
      else this.decodeData(0, EMPTY, true);
    });
  }

  // ---- stage plumbing: filters 0..n-1, then the router (decode); n-1..0, then the client (encode) ----

  private callbacksFor(i: number): FilterCallbacks {
    return {
      emitHeaders: (d, h, eos) =>
        d === "request" ? this.decodeHeaders(i + 1, h, eos) : this.encodeHeaders(i - 1, h, eos),
      emitData: (d, data, eos) =>
        d === "request" ? this.decodeData(i + 1, data, eos) : this.encodeData(i - 1, data, eos),
      emitTrailers: (d, t) => (d === "request" ? this.decodeTrailers(i + 1, t) : this.encodeTrailers(i - 1, t)),
      clearRouteCache: () => {
        this.routeCleared = true;
      },
      setDestination: (v) => {
        this.destination = v;
      },
      servedEndpoint: () => this.endpoint?.address,
      clientResponseStarted: () => this.res.headersSent,
      localReply: (r) => this.localReply(r),
      fail: (f) => this.fail(f),
      log: (level, fields, msg) => this.ctx.logger[level](fields, msg),
    };
  }

  private decodeHeaders(i: number, h: HeaderList, eos: boolean): void {
    if (this.done) return;
    if (i < this.filters.length) this.filters[i]!.onHeaders("request", h, eos);
    else this.routeRequest(h, eos);
  }

  private decodeData(i: number, data: Uint8Array, eos: boolean): void {
    if (this.done) return;
    if (i < this.filters.length) this.filters[i]!.onData("request", data, eos);
    else this.upstreamData(data, eos);
  }

  private decodeTrailers(i: number, t: HeaderList): void {
    if (this.done) return;
    if (i < this.filters.length) this.filters[i]!.onTrailers("request", t);
    else this.upstreamTrailers(t);
  }

  private encodeHeaders(i: number, h: HeaderList, eos: boolean): void {
    if (this.done) return;
    if (i >= 0) this.filters[i]!.onHeaders("response", h, eos);
    else this.clientHeaders(h, eos);
  }

  private encodeData(i: number, data: Uint8Array, eos: boolean): void {
    if (this.done) return;
    if (i >= 0) this.filters[i]!.onData("response", data, eos);
    else this.clientData(data, eos);
  }

  private encodeTrailers(i: number, t: HeaderList): void {
    if (this.done) return;
    if (i >= 0) this.filters[i]!.onTrailers("response", t);
    else this.clientTrailers(t);
  }

  // ---- router and upstream ----

  private routeRequest(h: HeaderList, eos: boolean): void {
    const route = this.routeCleared ? this.ctx.routes.match(h) : this.cachedRoute;
    if (!route) {
      const model = getHeader(h, "x-gateway-model-name");
      const base = getHeader(h, "x-gateway-base-model-name");
      const what =
        model === undefined && base === undefined
          ? "the request carries no model routing header"
          : `model ${JSON.stringify(model ?? base)}`;
      this.replyError(404, "route_not_found", `no route matches this request (${what})`);
      return;
    }
    const picked = this.ctx.routes.pick(route, this.destination);
    if (!picked.ok) {
      this.replyError(picked.error.status, picked.error.code, picked.error.message);
      return;
    }
    this.route = route;
    this.endpoint = picked.value;
    const e = picked.value;
    const headers = toNodeHeaders(h);
    headers["host"] = getHeader(h, ":authority") ?? e.address;
    const upstream = httpRequest({
      host: e.host,
      port: e.port,
      method: getHeader(h, ":method") ?? "GET",
      path: getHeader(h, ":path") ?? "/",
      headers,
      agent: this.ctx.agent,
    });
    // A Content-Length that disagrees with the streamed body is a processor bug: fail loudly
    // instead of sending a malformed request.
    (upstream as UpstreamRequest & { strictContentLength: boolean }).strictContentLength = true;
    this.upstream = upstream;
    if (route.timeoutMs > 0) {
      this.routeTimer = setTimeout(
        () =>
          this.replyError(504, "upstream_timeout", `upstream ${e.address} did not answer within ${route.timeoutMs} ms`),
        route.timeoutMs,
      );
    }
    upstream.on("response", (r) => this.onUpstreamResponse(r));
    upstream.on("error", (err) => {
      if (this.done) return;
      this.replyError(503, "upstream_unavailable", `upstream ${e.address} failed: ${err.message}`);
    });
    if (eos) upstream.end();
  }

  private upstreamData(data: Uint8Array, eos: boolean): void {
    const u = this.upstream;
    if (!u) return;
    try {
      if (data.length > 0) u.write(data);
      if (eos) u.end();
    } catch (e) {
      this.replyError(502, "upstream_write_failed", `request body could not be sent upstream: ${(e as Error).message}`);
    }
  }

  private upstreamTrailers(t: HeaderList): void {
    const u = this.upstream;
    if (!u) return;
    u.addTrailers(toNodeHeaders(t) as Record<string, string>);
    u.end();
  }

  private onUpstreamResponse(r: IncomingMessage): void {
    if (this.done) {
      r.resume();
      return;
    }
    this.upstreamResponse = r;
    const headers: HeaderList = [
      [":status", String(r.statusCode ?? 502)],
      ...fromRawHeaders(r.rawHeaders).filter(([k]) => !isHopByHop(k)),
    ];
    const last = this.filters.length - 1;
    this.encodeHeaders(last, headers, false);
    r.on("data", (chunk: Buffer) => this.encodeData(last, chunk, false));
    r.on("end", () => {
      const trailers = fromRawHeaders(r.rawTrailers);
      if (trailers.length > 0) this.encodeTrailers(last, trailers);
      else this.encodeData(last, EMPTY, true);
    });
    r.on("error", () => this.abort());
  }

  // ---- client side ----

  private clientHeaders(h: HeaderList, eos: boolean): void {
    const status = Number(getHeader(h, ":status") ?? 502);
    this.status = status;
    const headers = toNodeHeaders(h);
    if (this.route) headers[ROUTE_HEADER] = this.route.name;
    if (this.endpoint) headers[ENDPOINT_HEADER] = this.endpoint.address;
    const res = this.res as ServerResponse;
    res.writeHead(status, headers);
    if (eos) this.endClient();
    // Send the headers now: a streamed (SSE) answer should show progress at once (an h2
    // response sends them on writeHead).
    else if (typeof res.flushHeaders === "function") res.flushHeaders();
  }

  private clientData(data: Uint8Array, eos: boolean): void {
    if (data.length > 0) (this.res as ServerResponse).write(data);
    if (eos) this.endClient();
  }

  private clientTrailers(t: HeaderList): void {
    this.res.addTrailers(toNodeHeaders(t) as Record<string, string>);
    this.endClient();
  }

  private endClient(): void {
    (this.res as ServerResponse).end();
    this.complete();
  }

  private localReply(r: LocalReply): void {
    if (this.done) return;
    if (this.res.headersSent) {
      this.abort();
      return;
    }
    this.status = r.status;
    const headers = toNodeHeaders(r.headers);
    headers["content-length"] = String(r.body.length);
    const res = this.res as ServerResponse;
    res.writeHead(r.status, headers);
    res.end(r.body);
    this.complete();
  }

  private replyError(status: number, code: string, message: string): void {
    this.localReply({
      status,
      headers: [["content-type", "application/json"]],
      body: errorBody(status, code, message),
      details: code,
    });
  }

  private fail(f: FilterFailure): void {
    this.replyError(f.status, f.code, f.message);
  }

  /** complete: the client has its whole answer; release everything. */
  private complete(): void {
    if (this.done) return;
    this.done = true;
    this.release();
    this.ctx.logger.info(
      {
        method: this.req.method,
        path: this.req.url,
        status: this.status,
        route: this.route?.name,
        endpoint: this.endpoint?.address,
        ms: Math.round(performance.now() - this.started),
      },
      "request",
    );
  }

  /** abort: the exchange cannot finish cleanly; reset the client and stop everything. */
  private abort(): void {
    if (this.done) return;
    this.done = true;
    this.release();
    if (!this.res.writableEnded) resetClient(this.res);
  }

  private release(): void {
    if (this.routeTimer) clearTimeout(this.routeTimer);
    for (const f of this.filters) f.finish();
    // An upstream still sending is cut off; a finished one keeps its pooled connection.
    if (this.upstream && !this.upstreamResponse?.complete) this.upstream.destroy();
  }

  private onClientClose(): void {
    if (!this.done && !this.res.writableFinished) this.abort();
  }
}

function resetClient(res: ClientResponse): void {
  if ("stream" in res) res.stream.close(h2constants.NGHTTP2_INTERNAL_ERROR);
  else res.destroy();
}

/** requestHeaderList builds the header block Envoy would hand to ext_proc: pseudo-headers first. */
function requestHeaderList(req: ClientRequest): HeaderList {
  const raw = fromRawHeaders(req.rawHeaders);
  const isH2 = raw.some(([k]) => k === ":method");
  const pseudo: HeaderList = isH2
    ? raw.filter(([k]) => k.startsWith(":"))
    : [
        [":authority", getHeader(raw, "host") ?? ""],
        [":path", req.url ?? "/"],
        [":method", req.method ?? "GET"],
        [":scheme", "http"],
      ];
  const rest = raw.filter(([k]) => !k.startsWith(":") && k !== "host" && !isHopByHop(k));
  const headers: HeaderList = [...pseudo, ...rest];
  // As Envoy's connection manager does before any filter runs.
  if (getHeader(headers, "x-request-id") === undefined) headers.push(["x-request-id", randomUUID()]);
  if (getHeader(headers, "x-forwarded-proto") === undefined) headers.push(["x-forwarded-proto", "http"]);
  return headers;
}

/** requestHasNoBody tells whether the request headers end the stream. */
function requestHasNoBody(req: ClientRequest): boolean {
  if ("stream" in req) return req.stream.endAfterHeaders;
  const te = req.headers["transfer-encoding"];
  const cl = req.headers["content-length"];
  return te === undefined && (cl === undefined || cl === "0");
}
