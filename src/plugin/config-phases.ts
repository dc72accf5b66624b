import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { type ConfigError, type ConfigIssue, formatPath, yamlErrorIssues } from "../common/config-error.js";
import type { Logger } from "../common/logger.js";
import { err, ok, type Result } from "../common/result.js";
import { zodIssues } from "../common/zod-issues.js";
import { closePlugins } from "./close.js";
import type { Plugin } from "./plugin.js";
import { formatDeprecation, type Registry, type StabilityPolicy } from "./registry.js";

// Config loaders (BBR's and EPP's) run the same three phases, with the same wording:
//   parse (YAML text → value; YAML errors with line and column)
//   → validate (zod schema; every problem with its path, all at once)
//   → instantiate (registry factories return errors; every problem with its path).
// A phase that finds problems ends the load with all of them; instances built before the
// failure are closed here, in one place.

/** ConfigPhase is a loader step: it returns its output or every problem it found. */
export type ConfigPhase<In, Out> = (input: In) => Result<Out, ConfigIssue[]> | Promise<Result<Out, ConfigIssue[]>>;

/** Instantiated is what the instantiate phase built: the instances (closed on failure) and the outcome. */
export interface Instantiated<Loaded> {
  readonly instances: readonly Plugin[];
  readonly built: Result<Loaded, ConfigIssue[]>;
}

/** ConfigPhases are a loader's validate and instantiate phases (parsing is shared). */
export interface ConfigPhases<Document, Loaded> {
  readonly validate: ConfigPhase<unknown, Document>;
  readonly instantiate: (document: Document) => Instantiated<Loaded> | Promise<Instantiated<Loaded>>;
  /** logger hears about instances that fail to close. */
  readonly logger: Logger;
}

/** loadInPhases runs parse → validate → instantiate on one config text named `source`. */
export async function loadInPhases<Document, Loaded>(
  text: string,
  source: string,
  phases: ConfigPhases<Document, Loaded>,
): Promise<Result<Loaded, ConfigError>> {
  const fail = (issues: readonly ConfigIssue[]) => err({ source, issues });
  const parsed = parseYaml(text);
  if (!parsed.ok) return fail(parsed.error);
  const document = await phases.validate(parsed.value);
  if (!document.ok) return fail(document.error);
  const { instances, built } = await phases.instantiate(document.value);
  if (!built.ok) {
    await closePlugins(instances, phases.logger);
    return fail(built.error);
  }
  return ok(built.value);
}

/** readConfigFile reads a config file; a read error is the file's only issue. */
export async function readConfigFile(path: string): Promise<Result<string, ConfigError>> {
  try {
    return ok(await readFile(path, "utf8"));
  } catch (e) {
    return err({ source: path, issues: [{ path: "", message: `cannot read config: ${(e as Error).message}` }] });
  }
}

/** parseYaml is the parse phase: YAML text to a plain value (an empty document is {}). */
export function parseYaml(text: string): Result<unknown, ConfigIssue[]> {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return err(yamlErrorIssues(doc.errors));
  return ok(doc.toJS() ?? {});
}

/** ValidateOptions tune how schema problems are worded. */
export interface ValidateOptions {
  /** hint adds advice to a problem's message, e.g. the right name of a misspelt key; "" adds nothing. */
  readonly hint?: (issue: ConfigIssue) => string;
}

/**
 * validateDocument is the schema part of the validate phase: every problem with its path, an
 * unknown key at its own path (`plugins[0].bogus: unknown field "bogus"`), worded the same for
 * every config the project reads.
 */
export function validateDocument<T>(
  schema: z.ZodType<T>,
  raw: unknown,
  options: ValidateOptions = {},
): Result<T, ConfigIssue[]> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return ok(parsed.data);
  return err(
    zodIssues(parsed.error).map((i) => {
      const issue = { path: formatPath(i.path), message: i.message };
      const hint = options.hint?.(issue) ?? "";
      return hint === "" ? issue : { ...issue, message: issue.message + hint };
    }),
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * pluginTypeIssues checks the plugins of a document that failed validation, as far as its
 * shape allows, so one run shows every problem: each `plugins[i].type` string is admitted under
 * the policy and its parameters are checked against the type's schema (factories do not run).
 */
export function pluginTypeIssues<Handle>(
  raw: unknown,
  registry: Registry<Handle>,
  policy: StabilityPolicy,
): ConfigIssue[] {
  if (!isRecord(raw) || !Array.isArray(raw["plugins"])) return [];
  const issues: ConfigIssue[] = [];
  for (const [i, entry] of raw["plugins"].entries()) {
    if (!isRecord(entry) || typeof entry["type"] !== "string" || entry["type"] === "") continue;
    const checked = registry.check(entry["type"], entry["parameters"], policy);
    if (!checked.ok) {
      for (const e of checked.error) issues.push({ path: formatPath(["plugins", i, ...e.path]), message: e.message });
    }
  }
  return issues;
}

/** PluginEntry is one item of a config's `plugins` list. */
export interface PluginEntry {
  readonly type: string;
  readonly name?: string | undefined;
  readonly parameters?: unknown;
}

/** Instance is a plugin built from `plugins[index]`. */
export interface Instance {
  readonly index: number;
  readonly plugin: Plugin;
}

/** PluginInstances is what instantiatePlugins built and found. */
export interface PluginInstances {
  /** instances in config order (entries that failed are missing). */
  readonly instances: readonly Instance[];
  readonly byName: ReadonlyMap<string, Plugin>;
  readonly issues: readonly ConfigIssue[];
  /** deprecations warn, one per instance of a deprecated type: `plugins[i]: plugin type … is deprecated …`. */
  readonly deprecations: readonly { readonly name: string; readonly type: string; readonly warning: string }[];
}

/**
 * instantiatePlugins builds every entry through the registry under the policy. A name defaults
 * to the type and must be unique; a name counts even when its plugin fails to build, so a
 * duplicate is reported in the same pass.
 */
export function instantiatePlugins<Handle>(
  entries: readonly PluginEntry[],
  registry: Registry<Handle>,
  handle: Handle,
  policy: StabilityPolicy,
): PluginInstances {
  const instances: Instance[] = [];
  const byName = new Map<string, Plugin>();
  const issues: ConfigIssue[] = [];
  const deprecations: { name: string; type: string; warning: string }[] = [];
  const names = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const name = entry.name ?? entry.type;
    if (names.has(name)) {
      issues.push({ path: `plugins[${index}].name`, message: `duplicate plugin name "${name}"` });
      continue;
    }
    names.add(name);
    const created = registry.create(entry.type, name, entry.parameters, handle, policy);
    if (!created.ok) {
      for (const e of created.error)
        issues.push({ path: formatPath(["plugins", index, ...e.path]), message: e.message });
      continue;
    }
    const deprecated = registry.get(entry.type)?.deprecated;
    if (deprecated) {
      deprecations.push({
        name,
        type: entry.type,
        warning: `plugins[${index}]: ${formatDeprecation(entry.type, deprecated)}`,
      });
    }
    instances.push({ index, plugin: created.value });
    byName.set(name, created.value);
  }
  return { instances, byName, issues, deprecations };
}

/** Expectation is what a reference needs of the plugin it names: a test and what to say when it fails. */
export interface Expectation<T extends Plugin> {
  readonly fits: (p: Plugin) => p is T;
  /** says completes `plugin "x" (type) …`, e.g. "is not a parser". */
  readonly says: string;
}

/**
 * PluginRefs resolves the plugin names a config refers to (chains, profiles, roles), reporting
 * each bad reference with its path in the same words in BBR and EPP.
 */
export class PluginRefs {
  constructor(
    private readonly byName: ReadonlyMap<string, Plugin>,
    private readonly issues: ConfigIssue[],
  ) {}

  /** find returns the plugin named `name`, or reports that none is (at `path`). */
  find(name: string, path: string): Plugin | undefined;
  /** find also requires what `expected` tests, reporting a mismatch at `path`. */
  find<T extends Plugin>(name: string, path: string, expected: Expectation<T>): T | undefined;
  find<T extends Plugin>(name: string, path: string, expected?: Expectation<T>): Plugin | undefined {
    const plugin = this.byName.get(name);
    if (!plugin) {
      this.issues.push({ path, message: `no plugin named "${name}" in plugins` });
      return undefined;
    }
    if (expected && !expected.fits(plugin)) {
      this.issues.push({ path, message: mismatch(plugin, expected.says) });
      return undefined;
    }
    return plugin;
  }
}

/** mismatch words a plugin that cannot do what its place needs: `plugin "x" (type) is not a parser`. */
export function mismatch(plugin: Plugin, says: string): string {
  return `plugin "${plugin.typedName.name}" (${plugin.typedName.type}) ${says}`;
}
