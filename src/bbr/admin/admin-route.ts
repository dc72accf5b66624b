import type { IncomingMessage, ServerResponse } from "node:http";
import type { ExtraRoute } from "../../runtime/ops/http-endpoints.js";
import type { AdminHandler } from "./admin-handler.js";
import type { AdminDeps } from "./admin-service.js";

/**
 * ADMIN_PATH_PREFIX is where the admin service's methods live on the ops port: the generated
 * AdminService.typeName, written out so that routing needs neither the protos nor Connect
 * (admin-route.test.ts checks that both agree).
 */
export const ADMIN_PATH_PREFIX = "/bbr.admin.v1.AdminService/";

/** AdminRouteOptions configure who may call the admin API. */
export interface AdminRouteOptions {
  /** expose answers callers from any address; otherwise loopback only. */
  readonly expose: boolean;
  /** Largest request message (Evaluate carries a whole body). */
  readonly readMaxBytes: number;
}

/** isLoopback tells whether a socket address is a loopback address (IPv4, IPv6, or IPv4-mapped). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith("::ffff:") ? address.slice(7) : address;
  return a === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/**
 * adminRoute serves bbr.admin.v1.AdminService (Connect protocol: JSON or binary over HTTP/1.1
 * POST, GET for the side-effect-free methods) under its service path on the ops port. The ops
 * port is usually reachable by Prometheus from other pods, so unless exposed the admin API
 * answers only loopback callers (kubectl port-forward and exec arrive as loopback) and tells
 * anyone else how to enable it.
 */
export function adminRoute(deps: AdminDeps, options: AdminRouteOptions): ExtraRoute {
  let handler: Promise<AdminHandler> | undefined;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // Connect and the admin service load on the first admin request (idle RSS, issue 14); the
    // request body waits, unread, until the handler takes it.
    handler ??= import("./admin-handler.js").then((m) => m.adminHandler(deps, options.readMaxBytes));
    handler.then(
      (h) => h(req, res),
      (e: unknown) => {
        handler = undefined;
        deps.logger.error({ err: e instanceof Error ? e.message : String(e) }, "admin API failed to load");
        const body = JSON.stringify({ code: "internal", message: "the admin API failed to load" });
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(body);
      },
    );
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith(ADMIN_PATH_PREFIX)) return false;
    if (!options.expose && !isLoopback(req.socket.remoteAddress)) {
      const body = JSON.stringify({
        code: "permission_denied",
        message: "the admin API answers loopback callers only; start bbr with --expose-admin-api to allow others",
      });
      res.writeHead(403, { "content-type": "application/json" }).end(body);
      return true;
    }
    handle(req, res);
    return true;
  };
}
