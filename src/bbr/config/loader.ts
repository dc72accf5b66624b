import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { Logger } from "../../common/logger.js";
import { watchFile } from "../../common/file-watch.js";
import { err, ok, type Result } from "../../common/result.js";
import { zodIssues } from "../../common/zod-issues.js";
import type { Plugin } from "../../framework/plugin.js";
import {
  type ExtensionPoint,
  extensionPointsOf,
  REQUEST_EXTENSION_POINTS,
  RESPONSE_EXTENSION_POINTS,
} from "../framework/extension-points.js";
import type { BbrPluginHandle, BbrRegistry } from "../framework/plugin-handle.js";
import type { BbrMetrics } from "../metrics.js";
import { type BbrConfigDocument, bbrConfigSchema } from "./schema.js";

/** ConfigIssue is one problem in a config: where (a path like plugins[1].parameters.fieldName) and why. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** ConfigError is every problem found in one config source. */
export interface ConfigError {
  readonly source: string;
  readonly issues: readonly ConfigIssue[];
}

/** formatConfigError renders one line per issue: `file: path: reason`. */
export function formatConfigError(error: ConfigError): string {
  return error.issues.map((i) => `${error.source}: ${i.path === "" ? "" : `${i.path}: `}${i.message}`).join("\n");
}

/** LoadedConfig is a validated config with its plugin instances built. */
export interface LoadedConfig {
  readonly source: string;
  readonly document: BbrConfigDocument;
  readonly plugins: readonly Plugin[];
  readonly requestPlugins: readonly Plugin[];
  readonly responsePlugins: readonly Plugin[];
  readonly ownedHeaders: readonly string[];
}

/** LoadContext is what building plugins needs from the process. */
export interface LoadContext {
  readonly registry: BbrRegistry;
  readonly logger: Logger;
  readonly metrics: BbrMetrics;
}

/** formatPath renders a zod-style path as `plugins[0].parameters.fieldName`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** loadConfigFile reads and loads a config file. */
export async function loadConfigFile(path: string, context: LoadContext): Promise<Result<LoadedConfig, ConfigError>> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return err({ source: path, issues: [{ path: "", message: `cannot read config: ${(e as Error).message}` }] });
  }
  return loadConfigText(text, path, dirname(resolve(path)), context);
}

/**
 * loadConfigText validates a config in phases (YAML, schema, plugin instances, chains) and
 * reports every problem of the first failing phase at once, each with its path. On failure,
 * instances already built are closed.
 */
export async function loadConfigText(
  text: string,
  source: string,
  baseDir: string,
  context: LoadContext,
): Promise<Result<LoadedConfig, ConfigError>> {
  const fail = (issues: ConfigIssue[]) => err({ source, issues });

  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) => {
        const reason = (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
        const where = e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "";
        return { path: "", message: `invalid YAML${where}: ${reason}` };
      }),
    );
  }
  const parsed = bbrConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    return fail(zodIssues(parsed.error).map((i) => ({ path: formatPath(i.path), message: i.message })));
  }
  const document = parsed.data;

  const issues: ConfigIssue[] = [];
  const byName = new Map<string, Plugin>();
  const plugins: Plugin[] = [];
  const handle: BbrPluginHandle = {
    logger: context.logger,
    metrics: context.metrics,
    resolvePath: (p) => resolve(baseDir, p),
    watchFile: (p, onChange) => watchFile(p, onChange),
  };
  for (const [i, spec] of document.plugins.entries()) {
    const name = spec.name ?? spec.type;
    if (byName.has(name)) {
      issues.push({ path: `plugins[${i}].name`, message: `duplicate plugin name "${name}"` });
      continue;
    }
    const created = context.registry.create(spec.type, name, spec.parameters, handle);
    if (!created.ok) {
      for (const e of created.error) issues.push({ path: formatPath([`plugins`, i, ...e.path]), message: e.message });
      continue;
    }
    byName.set(name, created.value);
    plugins.push(created.value);
  }

  const requestPlugins = resolveChain("request", document.request, plugins, byName, REQUEST_EXTENSION_POINTS, issues);
  const responsePlugins = resolveChain("response", document.response, plugins, byName, RESPONSE_EXTENSION_POINTS, issues);

  if (issues.length > 0) {
    await closePlugins(plugins, context.logger);
    return fail(issues);
  }
  return ok({ source, document, plugins, requestPlugins, responsePlugins, ownedHeaders: document.ownedHeaders });
}

function resolveChain(
  chain: "request" | "response",
  refs: readonly string[] | undefined,
  plugins: readonly Plugin[],
  byName: ReadonlyMap<string, Plugin>,
  points: readonly ExtensionPoint[],
  issues: ConfigIssue[],
): Plugin[] {
  const fits = (p: Plugin) => extensionPointsOf(p).some((point) => points.includes(point));
  if (refs === undefined) return plugins.filter(fits);
  const resolved: Plugin[] = [];
  for (const [j, ref] of refs.entries()) {
    const plugin = byName.get(ref);
    if (!plugin) {
      issues.push({ path: `${chain}[${j}]`, message: `no plugin named "${ref}" in plugins` });
    } else if (!fits(plugin)) {
      issues.push({
        path: `${chain}[${j}]`,
        message: `plugin "${ref}" (${plugin.typedName.type}) implements none of ${points.join(", ")}`,
      });
    } else {
      resolved.push(plugin);
    }
  }
  return resolved;
}

/** closePlugins releases every instance of a retired or failed config. */
export async function closePlugins(plugins: readonly Plugin[], logger: Logger): Promise<void> {
  for (const p of plugins) {
    try {
      await p.close?.();
    } catch (e) {
      logger.warn({ plugin: p.typedName.name, err: (e as Error).message }, "plugin close failed");
    }
  }
}
