import { create, type JsonObject } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "../../common/logger.js";
import {
  type AdminService,
  type EvaluateRequest,
  EvaluateResponseSchema,
  GetConfigResponseSchema,
  ListPluginsResponseSchema,
} from "../../gen/bbr/admin/v1/admin_pb.js";
import { describeRegistry } from "../../plugin/describe.js";
import type { LoadedConfig } from "../config/loader.js";
import type { ConfigSnapshots } from "../config/reloader.js";
import { evaluateRequest } from "./evaluate.js";
import { redact } from "./redact.js";

/** AdminDeps is what the admin service reads: the serving config generations. */
export interface AdminDeps {
  readonly snapshots: ConfigSnapshots;
  readonly logger: Logger;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

function bodyBytes(body: EvaluateRequest["body"]): Uint8Array {
  switch (body.case) {
    case "bodyJson":
      return encoder.encode(JSON.stringify(body.value));
    case "bodyText":
      return encoder.encode(body.value);
    case "bodyBytes":
      return body.value;
    default:
      return new Uint8Array();
  }
}

// Struct cannot hold undefined, NaN or Infinity; YAML can produce the latter two.
function jsonSafe(value: unknown): JsonObject {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)),
  ) as JsonObject;
}

function instancesOf(loaded: LoadedConfig): { name: string; type: string; usedBy: string[] }[] {
  const usedBy = new Map<string, string[]>();
  const note = (name: string, where: string) => usedBy.set(name, [...(usedBy.get(name) ?? []), where]);
  for (const p of loaded.requestPlugins) note(p.typedName.name, "request");
  for (const p of loaded.responsePlugins) note(p.typedName.name, "response");
  for (const selector of loaded.modelSelectors) {
    for (const p of selector.plugins) note(p.typedName.name, `modelSelector:${selector.typedName.name}`);
  }
  return [...loaded.plugins, ...loaded.modelSelectors].map((p) => ({
    name: p.typedName.name,
    type: p.typedName.type,
    usedBy: [...new Set(usedBy.get(p.typedName.name) ?? [])],
  }));
}

/** adminService implements bbr.admin.v1.AdminService over the current config generation. */
export function adminService(deps: AdminDeps): ServiceImpl<typeof AdminService> {
  return {
    async evaluate(request) {
      const lease = deps.snapshots.lease();
      try {
        const result = await evaluateRequest(
          lease.generation.settings,
          { headers: new Map(Object.entries(request.headers)), body: bodyBytes(request.body) },
          deps.logger,
        );
        return create(EvaluateResponseSchema, {
          headersSet: [...result.headersSet],
          headersRemoved: [...result.headersRemoved],
          bodyChanged: result.bodyChanged,
          body: result.body ? decoder.decode(result.body) : "",
          model: result.model,
          timings: result.timings.map((t) => ({
            pluginName: t.plugin.typedName.name,
            pluginType: t.plugin.typedName.type,
            extensionPoint: t.extensionPoint,
            durationMs: t.durationMs,
          })),
          ...(result.error ? { error: result.error } : {}),
          configGeneration: BigInt(lease.generation.id),
        });
      } catch (e) {
        throw new ConnectError(`evaluation failed: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
      } finally {
        lease.release();
      }
    },

    listPlugins() {
      const loaded = deps.snapshots.generation.loaded;
      const listing = describeRegistry(loaded.registry);
      return create(ListPluginsResponseSchema, {
        types: listing.types.map((t) => ({
          type: t.type,
          description: t.description,
          stability: t.stability,
          featureGate: t.featureGate ?? "",
          ...(t.deprecated
            ? {
                deprecated: {
                  message: t.deprecated.message,
                  replacements: [...(t.deprecated.replacements ?? [])],
                  since: t.deprecated.since ?? "",
                },
              }
            : {}),
          extensionPoints: [...t.extensionPoints],
          parametersSchema: jsonSafe(t.parameters),
        })),
        removed: listing.removed.map((r) => ({
          type: r.type,
          message: r.message,
          replacements: [...r.replacements],
          removedIn: r.removedIn ?? "",
        })),
        instances: instancesOf(loaded),
      });
    },

    getConfig() {
      const { id, loaded } = deps.snapshots.generation;
      return create(GetConfigResponseSchema, {
        source: loaded.source,
        generation: BigInt(id),
        loadedAt: loaded.loadedAt.toISOString(),
        config: jsonSafe(redact(loaded.document)),
        warnings: [...loaded.warnings],
      });
    },
  };
}
