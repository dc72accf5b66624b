import type { IncomingMessage, ServerResponse } from "node:http";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AdminService } from "../../gen/bbr/admin/v1/admin_pb.js";
import type { ExtraRoute } from "../../runtime/ops/http-endpoints.js";
import { type AdminDeps, adminService } from "./admin-service.js";

/** ADMIN_PATH_PREFIX is where the admin service's methods live on the ops port. */
export const ADMIN_PATH_PREFIX = `/${AdminService.typeName}/`;

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
  const handle = connectNodeAdapter({
    routes: (router) => router.service(AdminService, adminService(deps)),
    readMaxBytes: options.readMaxBytes,
  });
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
