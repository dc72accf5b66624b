import { resolve } from "node:path";
import { silentLogger } from "../../common/logger.js";
import { err, ok, type Result } from "../../common/result.js";
import { CycleState } from "../../plugin/cycle-state.js";
import type { Plugin } from "../../plugin/plugin.js";
import { type PluginCreateError, type PluginTypeSpec, Registry } from "../../plugin/registry.js";
import { bodyKindOf } from "./content-kind.js";
import { TrackedHeaders } from "./headers.js";
import { InferenceRequest } from "./inference-message.js";
import { MessageBody } from "./message-body.js";
import type { BbrPluginHandle } from "./plugin-handle.js";
import { BbrMetrics } from "../metrics.js";

// Helpers for unit-testing plugins without a server: built-in tests use them, and the package
// exports them so plugin authors can test their own plugins the same way.

/** TestRequestOptions describe a request: headers (":path" included) and a body. */
export interface TestRequestOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON value (serialised), a string or raw bytes. */
  readonly body?: unknown;
  readonly cycleState?: CycleState;
}

const encoder = new TextEncoder();

/** testRequest builds an InferenceRequest as the stream processor would, from headers and a body. */
export function testRequest(options: TestRequestOptions = {}): InferenceRequest {
  const values = new Map<string, string>();
  for (const [k, v] of Object.entries(options.headers ?? {})) values.set(k.toLowerCase(), v);
  const headers = new TrackedHeaders(values);
  const body = new MessageBody(bodyKindOf(headers));
  if (options.body !== undefined) {
    const b = options.body;
    body.append(b instanceof Uint8Array ? b : encoder.encode(typeof b === "string" ? b : JSON.stringify(b)));
  }
  return new InferenceRequest(headers, body, options.cycleState ?? new CycleState(), silentLogger());
}

/** testHandle is a plugin handle for tests: silent logger, private metrics, paths relative to baseDir. */
export function testHandle(
  baseDir = process.cwd(),
  metrics = new BbrMetrics({ defaultMetrics: false }),
): BbrPluginHandle {
  return {
    logger: silentLogger(),
    metrics,
    resolvePath: (p) => resolve(baseDir, p),
    watchFile: () => ({ dispose() {} }),
  };
}

/**
 * createTestPlugin builds an instance from raw parameters through the same validation path a
 * config uses (zod schema, then factory), returning the errors with their parameter paths.
 */
export function createTestPlugin<P extends Plugin = Plugin, Params = unknown>(
  spec: PluginTypeSpec<Params, BbrPluginHandle>,
  parameters: unknown,
  handle: BbrPluginHandle = testHandle(),
  name: string = spec.type,
): Result<P, PluginCreateError[]> {
  const registry = new Registry<BbrPluginHandle>();
  const added = registry.register(spec as PluginTypeSpec<unknown, BbrPluginHandle>);
  if (!added.ok) return err([{ path: [], message: added.error.message }]);
  const gates = spec.featureGate === undefined ? [] : [spec.featureGate];
  const created = registry.create(spec.type, name, parameters, handle, {
    featureGates: gates,
    minimumStability: "alpha",
  });
  return created.ok ? ok(created.value as P) : created;
}
