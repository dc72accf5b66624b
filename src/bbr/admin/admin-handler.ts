import type { IncomingMessage, ServerResponse } from "node:http";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AdminService } from "../../gen/bbr/admin/v1/admin_pb.js";
import { type AdminDeps, adminService } from "./admin-service.js";

/** AdminHandler answers one admin request that admin-route.ts let through. */
export type AdminHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** ADMIN_SERVICE_TYPE_NAME is the generated service's name, which admin-route.ts spells out to stay light. */
export const ADMIN_SERVICE_TYPE_NAME = AdminService.typeName;

/**
 * adminHandler serves bbr.admin.v1.AdminService with connect-node. It is imported by the route
 * on the first admin request, so a BBR nobody inspects never loads Connect, the admin protos
 * or the evaluation code.
 */
export function adminHandler(deps: AdminDeps, readMaxBytes: number): AdminHandler {
  return connectNodeAdapter({
    routes: (router) => router.service(AdminService, adminService(deps)),
    readMaxBytes,
  });
}
