import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { type ConfigError, type ConfigIssue, formatPath, yamlErrorIssues } from "../../common/config-error.js";
import { err, ok, type Result } from "../../common/result.js";
import type { Plugin } from "../../plugin/plugin.js";
import { closePlugins } from "../../plugin/close.js";
import {
  isMetricsDataSource,
  isMetricsExtractor,
  type MetricsDataSource,
  type MetricsExtractor,
} from "../api/datalayer.js";
import type { EppPluginHandle, EppRegistry } from "../api/handle.js";
import {
  type DataProducer,
  isDataConsumer,
  isDataProducer,
  isPreRequest,
  isRequestParser,
  isResponseBodyProcessor,
  isResponseCompleteProcessor,
  isResponseHeaderProcessor,
  type PreRequest,
  type RequestParser,
  type ResponseBodyProcessor,
  type ResponseCompleteProcessor,
  type ResponseHeaderProcessor,
} from "../api/request-control.js";
import { isSaturationDetector, type SaturationDetector } from "../api/saturation.js";
import { type Filter, isFilter, isPicker, isProfileHandler, isScorer, type Picker } from "../api/scheduling.js";
import { CORE_METRICS_EXTRACTOR } from "../plugins/datalayer/core-metrics-extractor/core-metrics-extractor.js";
import { METRICS_DATA_SOURCE } from "../plugins/datalayer/metrics-data-source/metrics-data-source.js";
import { OPENAI_PARSER } from "../plugins/parser/openai-parser/openai-parser.js";
import { MAX_SCORE_PICKER } from "../plugins/picker/max-score-picker/max-score-picker.js";
import { APPROX_PREFIX_CACHE_PRODUCER } from "../plugins/prefix/approx-prefix-cache-producer/approx-prefix-cache-producer.js";
import { PREFIX_CACHE_MATCH_INFO } from "../plugins/prefix/match-info.js";
import { SINGLE_PROFILE_HANDLER } from "../plugins/profile-handler/single-profile-handler/single-profile-handler.js";
import { UTILIZATION_DETECTOR } from "../plugins/saturation/utilization-detector/utilization-detector.js";
import { Scheduler, type SchedulerProfile, type WeightedScorer } from "../scheduling/scheduler.js";
import { type FlowControlConfig, flowControlConfigFrom } from "../flowcontrol/config.js";
import { type EppConfigDocument, eppConfigSchema } from "./schema.js";

/** FEATURE_GATES are the gates the reference defines; only the no-op ones can be enabled here. */
export const FEATURE_GATES: Readonly<Record<string, "supported" | "ignored" | "unsupported">> = {
  dataLayer: "supported",
  enableLegacyMetrics: "ignored",
  flowControl: "supported",
};

/** DEFAULT_PRODUCERS name the plugin type created for a consumed data key nobody produces. */
export const DEFAULT_PRODUCERS: Readonly<Record<string, string>> = {
  [PREFIX_CACHE_MATCH_INFO]: APPROX_PREFIX_CACHE_PRODUCER,
};

/** MetricsCollection is the configured scrape pipeline (one source and its extractor). */
export interface MetricsCollection {
  readonly source: MetricsDataSource;
  readonly extractor: MetricsExtractor;
}

/** LoadedEppConfig is a validated EndpointPickerConfig with every plugin built and wired. */
export interface LoadedEppConfig {
  readonly source: string;
  readonly document: EppConfigDocument;
  /** plugins are every instance, configured and injected, in creation order. */
  readonly plugins: readonly Plugin[];
  readonly scheduler: Scheduler;
  readonly parser: RequestParser;
  readonly saturationDetector: SaturationDetector;
  /** metrics is undefined when `dataLayer: {sources: []}` disables collection. */
  readonly metrics: MetricsCollection | undefined;
  readonly producers: readonly DataProducer[];
  readonly preRequest: readonly PreRequest[];
  readonly responseHeader: readonly ResponseHeaderProcessor[];
  readonly responseBody: readonly ResponseBodyProcessor[];
  readonly responseComplete: readonly ResponseCompleteProcessor[];
  readonly featureGates: ReadonlySet<string>;
  /** flowControl is set when the flowControl feature gate is on. */
  readonly flowControl: FlowControlConfig | undefined;
  /** warnings are accepted-but-ignored settings, for the caller to log. */
  readonly warnings: readonly string[];
}

/** LoadContext is what building plugins needs. */
export interface LoadContext {
  readonly registry: EppRegistry;
  readonly handle: EppPluginHandle;
}

/** loadConfigFile reads and loads an EndpointPickerConfig file. */
export async function loadConfigFile(
  path: string,
  context: LoadContext,
): Promise<Result<LoadedEppConfig, ConfigError>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    return err({ source: path, issues: [{ path: "", message: `cannot read config: ${(e as Error).message}` }] });
  }
  return loadConfigText(text, path, context);
}

/**
 * loadConfigText validates a config in phases (YAML, schema, plugin instances, wiring with the
 * reference's defaults injected) and reports every problem of the first failing phase, each
 * with its path. On failure every instance already built is closed.
 */
export async function loadConfigText(
  text: string,
  source: string,
  context: LoadContext,
): Promise<Result<LoadedEppConfig, ConfigError>> {
  const fail = (issues: readonly ConfigIssue[]) => err({ source, issues });
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return fail(yamlErrorIssues(doc.errors));
  const parsed = eppConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    return fail(
      parsed.error.issues.map((i) => {
        const path = formatPath(i.path);
        const hint =
          i.code === "unrecognized_keys" && path === "" && i.keys.includes("data")
            ? " (the data layer key is `dataLayer`; some reference docs show `data`)"
            : "";
        return { path, message: i.message + hint };
      }),
    );
  }
  const builder = new ConfigBuilder(parsed.data, context);
  const built = builder.build();
  if (!built.ok) {
    await closePlugins(builder.instances, context.handle.logger);
    return fail(built.error);
  }
  return ok({ ...built.value, source, document: parsed.data });
}

type Built = Omit<LoadedEppConfig, "source" | "document">;

/** ConfigBuilder holds the state of one load: instances by name, issues, warnings. */
class ConfigBuilder {
  readonly instances: Plugin[] = [];
  private readonly byName = new Map<string, Plugin>();
  private readonly issues: ConfigIssue[] = [];
  private readonly warnings: string[] = [];
  private readonly gates = new Set<string>();

  constructor(
    private readonly doc: EppConfigDocument,
    private readonly context: LoadContext,
  ) {}

  build(): Result<Built, ConfigIssue[]> {
    this.readFeatureGates();
    this.instantiate();
    if (this.issues.length > 0) return err(this.issues);
    const configured = [...this.instances];

    this.createDefaultProducers(configured);
    const parser = this.resolveParser();
    const saturationDetector = this.resolveSaturationDetector();
    const metrics = this.resolveDataLayer();
    const scheduler = this.buildScheduler(configured);
    if (this.doc.flowControl !== undefined && !this.gates.has("flowControl")) {
      this.warnings.push("flowControl is set but the flowControl feature gate is off; the section is ignored");
    }
    let flowControl: FlowControlConfig | undefined;
    if (this.gates.has("flowControl")) {
      const fc = flowControlConfigFrom(this.doc.flowControl);
      if (fc.ok) flowControl = fc.value;
      else this.issues.push(...fc.error);
    }
    if (this.issues.length > 0 || !parser || !saturationDetector || !scheduler) return err(this.issues);

    const all = this.instances;
    return ok({
      plugins: all,
      scheduler,
      parser,
      saturationDetector,
      metrics,
      producers: all.filter(isDataProducer),
      preRequest: all.filter(isPreRequest),
      responseHeader: all.filter(isResponseHeaderProcessor),
      responseBody: all.filter(isResponseBodyProcessor),
      responseComplete: all.filter(isResponseCompleteProcessor),
      featureGates: this.gates,
      flowControl,
      warnings: this.warnings,
    });
  }

  private readFeatureGates(): void {
    for (const [i, entry] of this.doc.featureGates.entries()) {
      const [name, value] = entry.split("=", 2) as [string, string | undefined];
      if (value !== undefined && value !== "true" && value !== "false") {
        this.issues.push({ path: `featureGates[${i}]`, message: `use "${name}", "${name}=true" or "${name}=false"` });
        continue;
      }
      const pluginGates = this.context.registry
        .types()
        .flatMap((t) => (t.stability === "alpha" && t.featureGate ? [t.featureGate] : []));
      const support = FEATURE_GATES[name] ?? (pluginGates.includes(name) ? "supported" : undefined);
      if (support === undefined) {
        this.issues.push({
          path: `featureGates[${i}]`,
          message: `unknown feature gate "${name}" (known: ${[...Object.keys(FEATURE_GATES), ...pluginGates].join(", ")})`,
        });
        continue;
      }
      if (value === "false") continue;
      if (support === "unsupported") {
        this.issues.push({
          path: `featureGates[${i}]`,
          message: `feature gate "${name}" is not implemented by this EPP`,
        });
        continue;
      }
      if (support === "ignored") this.warnings.push(`feature gate "${name}" has no effect in this EPP`);
      this.gates.add(name);
    }
  }

  private instantiate(): void {
    // Names count even when the plugin fails to build, so a duplicate is reported in the same pass.
    const names = new Set<string>();
    for (const [i, spec] of this.doc.plugins.entries()) {
      const name = spec.name ?? spec.type;
      if (names.has(name)) {
        this.issues.push({ path: `plugins[${i}].name`, message: `duplicate plugin name "${name}"` });
        continue;
      }
      names.add(name);
      // Alpha plugin types need their gate in featureGates (the registry checks).
      const policy = { featureGates: [...this.gates], minimumStability: "alpha" as const };
      const created = this.context.registry.create(spec.type, name, spec.parameters, this.context.handle, policy);
      if (!created.ok) {
        for (const e of created.error)
          this.issues.push({ path: formatPath(["plugins", i, ...e.path]), message: e.message });
        continue;
      }
      this.add(created.value);
    }
  }

  private add(plugin: Plugin): void {
    this.instances.push(plugin);
    this.byName.set(plugin.typedName.name, plugin);
  }

  /** inject finds a plugin of `type` named `type`, or creates one with `parameters` (reported at `path`). */
  private inject(type: string, path: string, parameters?: unknown): Plugin | undefined {
    const existing = this.byName.get(type);
    if (existing) {
      if (existing.typedName.type === type) return existing;
      this.issues.push({
        path,
        message: `a default ${type} is needed, but plugin "${type}" has type ${existing.typedName.type}`,
      });
      return undefined;
    }
    const created = this.context.registry.create(type, type, parameters, this.context.handle);
    if (!created.ok) {
      for (const e of created.error) this.issues.push({ path, message: `default ${type}: ${e.message}` });
      return undefined;
    }
    this.add(created.value);
    return created.value;
  }

  private ref(name: string, path: string): Plugin | undefined {
    const plugin = this.byName.get(name);
    if (!plugin) this.issues.push({ path, message: `no plugin named "${name}" in plugins` });
    return plugin;
  }

  private pathOf(plugin: Plugin): string {
    const i = this.doc.plugins.findIndex((p) => (p.name ?? p.type) === plugin.typedName.name);
    return i < 0 ? "" : `plugins[${i}]`;
  }

  private createDefaultProducers(configured: readonly Plugin[]): void {
    const producedBy = new Map<string, Plugin>();
    for (const p of configured.filter(isDataProducer)) {
      for (const key of p.produces) {
        const other = producedBy.get(key);
        if (other) {
          this.issues.push({
            path: this.pathOf(p),
            message: `data key ${key} is already produced by "${other.typedName.name}"; configure one producer per key`,
          });
        }
        producedBy.set(key, p);
      }
    }
    for (const consumer of configured.filter(isDataConsumer)) {
      for (const key of consumer.consumes) {
        const legacy = consumer.defaultProducerParameters?.(key);
        if (producedBy.has(key)) {
          if (legacy !== undefined) {
            this.issues.push({
              path: `${this.pathOf(consumer)}.parameters`,
              message: `these parameters configure the default producer of ${key}, but "${producedBy.get(key)!.typedName.name}" is configured explicitly: set them there`,
            });
          }
          continue;
        }
        const type = DEFAULT_PRODUCERS[key];
        if (!type) {
          this.issues.push({ path: this.pathOf(consumer), message: `nothing produces data key ${key}` });
          continue;
        }
        const producer = this.inject(type, `${this.pathOf(consumer)}.parameters`, legacy);
        if (producer) producedBy.set(key, producer);
      }
    }
  }

  private resolveParser(): RequestParser | undefined {
    const ref = this.doc.parser?.pluginRef;
    const plugin = ref === undefined ? this.inject(OPENAI_PARSER, "parser") : this.ref(ref, "parser.pluginRef");
    if (!plugin) return undefined;
    if (!isRequestParser(plugin)) {
      this.issues.push({
        path: "parser.pluginRef",
        message: `plugin "${plugin.typedName.name}" (${plugin.typedName.type}) is not a parser`,
      });
      return undefined;
    }
    return plugin;
  }

  private resolveSaturationDetector(): SaturationDetector | undefined {
    const ref = this.doc.saturationDetector?.pluginRef;
    const plugin =
      ref === undefined
        ? this.inject(UTILIZATION_DETECTOR, "saturationDetector")
        : this.ref(ref, "saturationDetector.pluginRef");
    if (!plugin) return undefined;
    if (!isSaturationDetector(plugin)) {
      this.issues.push({
        path: "saturationDetector.pluginRef",
        message: `plugin "${plugin.typedName.name}" (${plugin.typedName.type}) is not a saturation detector`,
      });
      return undefined;
    }
    return plugin;
  }

  private resolveDataLayer(): MetricsCollection | undefined {
    const layer = this.doc.dataLayer;
    if (layer === undefined) {
      const source = this.inject(METRICS_DATA_SOURCE, "dataLayer");
      const extractor = this.inject(CORE_METRICS_EXTRACTOR, "dataLayer");
      if (source && extractor && isMetricsDataSource(source) && isMetricsExtractor(extractor))
        return { source, extractor };
      return undefined;
    }
    if (layer.sources.length === 0) return undefined; // explicitly disabled
    if (layer.sources.length > 1) {
      this.issues.push({ path: "dataLayer.sources", message: "only one data source is supported" });
      return undefined;
    }
    const spec = layer.sources[0]!;
    const source = this.ref(spec.pluginRef, "dataLayer.sources[0].pluginRef");
    if (source && !isMetricsDataSource(source)) {
      this.issues.push({
        path: "dataLayer.sources[0].pluginRef",
        message: `plugin "${spec.pluginRef}" is not a data source`,
      });
    }
    if (spec.extractors.length !== 1) {
      this.issues.push({
        path: "dataLayer.sources[0].extractors",
        message: "a data source needs exactly one extractor",
      });
      return undefined;
    }
    const extractor = this.ref(spec.extractors[0]!.pluginRef, "dataLayer.sources[0].extractors[0].pluginRef");
    if (extractor && !isMetricsExtractor(extractor)) {
      this.issues.push({
        path: "dataLayer.sources[0].extractors[0].pluginRef",
        message: `plugin "${extractor.typedName.name}" is not a metrics extractor`,
      });
    }
    if (source && extractor && isMetricsDataSource(source) && isMetricsExtractor(extractor))
      return { source, extractor };
    return undefined;
  }

  private buildScheduler(configured: readonly Plugin[]): Scheduler | undefined {
    const specs =
      this.doc.schedulingProfiles.length > 0
        ? this.doc.schedulingProfiles
        : [
            {
              name: "default",
              plugins: configured
                .filter((p) => isFilter(p) || isScorer(p) || isPicker(p))
                .map((p) => ({ pluginRef: p.typedName.name, weight: undefined })),
            },
          ];
    const profiles = new Map<string, SchedulerProfile>();
    for (const [i, spec] of specs.entries()) {
      const path = `schedulingProfiles[${i}]`;
      if (profiles.has(spec.name)) {
        this.issues.push({ path: `${path}.name`, message: `duplicate profile name "${spec.name}"` });
        continue;
      }
      const profile = this.buildProfile(spec, path);
      if (profile) profiles.set(spec.name, profile);
    }

    const handlers = configured.filter(isProfileHandler);
    if (handlers.length > 1) {
      this.issues.push({
        path: this.pathOf(handlers[1]!),
        message: `only one profile handler may be configured (also "${handlers[0]!.typedName.name}")`,
      });
      return undefined;
    }
    let handler = handlers[0];
    if (!handler) {
      if (specs.length > 1) {
        this.issues.push({
          path: "schedulingProfiles",
          message: "more than one profile needs a profile handler plugin",
        });
        return undefined;
      }
      const injected = this.inject(SINGLE_PROFILE_HANDLER, "schedulingProfiles");
      if (!injected || !isProfileHandler(injected)) return undefined;
      handler = injected;
    }
    if (handler.typedName.type === SINGLE_PROFILE_HANDLER && specs.length > 1) {
      this.issues.push({
        path: "schedulingProfiles",
        message: `${SINGLE_PROFILE_HANDLER} supports exactly one profile`,
      });
      return undefined;
    }
    if (profiles.size !== specs.length) return undefined;
    return new Scheduler(handler, profiles);
  }

  private buildProfile(
    spec: { name: string; plugins: readonly { pluginRef: string; weight?: number | undefined }[] },
    path: string,
  ): SchedulerProfile | undefined {
    const filters: Filter[] = [];
    const scorers: WeightedScorer[] = [];
    let picker: Picker | undefined;
    const before = this.issues.length;
    for (const [j, entry] of spec.plugins.entries()) {
      const at = `${path}.plugins[${j}]`;
      const plugin = this.ref(entry.pluginRef, `${at}.pluginRef`);
      if (!plugin) continue;
      const fits = isFilter(plugin) || isScorer(plugin) || isPicker(plugin);
      if (!fits) {
        this.issues.push({
          path: `${at}.pluginRef`,
          message: `plugin "${entry.pluginRef}" (${plugin.typedName.type}) is not a filter, scorer or picker`,
        });
        continue;
      }
      if (entry.weight !== undefined && !isScorer(plugin)) {
        this.issues.push({
          path: `${at}.weight`,
          message: `weight applies to scorers only; "${entry.pluginRef}" is not one`,
        });
      }
      if (isFilter(plugin)) filters.push(plugin);
      if (isScorer(plugin)) scorers.push({ scorer: plugin, weight: entry.weight ?? 1 });
      if (isPicker(plugin)) {
        if (picker) {
          this.issues.push({
            path: `${at}.pluginRef`,
            message: `profile "${spec.name}" already has picker "${picker.typedName.name}"`,
          });
        } else {
          picker = plugin;
        }
      }
    }
    if (!picker) {
      const injected = this.inject(MAX_SCORE_PICKER, `${path}.plugins`);
      if (injected && isPicker(injected)) picker = injected;
    }
    if (this.issues.length > before || !picker) return undefined;
    return { name: spec.name, filters, scorers, picker };
  }
}
