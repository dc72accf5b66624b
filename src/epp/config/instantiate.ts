import { err, ok } from "../../common/result.js";
import { type Instantiated, instantiatePlugins } from "../../plugin/config-phases.js";
import {
  isDataProducer,
  isPreRequest,
  isResponseBodyProcessor,
  isResponseCompleteProcessor,
  isResponseHeaderProcessor,
} from "../api/request-control.js";
import { type FlowControlConfig, flowControlConfigFrom } from "../flowcontrol/config.js";
import type { LoadContext, LoadedEppConfig } from "./loaded-config.js";
import { wireDataProducers } from "./producers.js";
import { resolveDataLayer, resolveParser, resolveSaturationDetector } from "./roles.js";
import { buildScheduler } from "./scheduling.js";
import { policyOf, type ValidEppDocument } from "./validate.js";
import { Wiring } from "./wiring.js";

/**
 * instantiateEppConfig is EPP's instantiate phase: the configured plugins are built (alpha types
 * need their gate), then wired as the reference does, with a default plugin for every empty
 * role: data producers, parser, saturation detector, data layer, scheduling profiles and their
 * handler, and flow control when its gate is on.
 */
export function instantiateEppConfig(
  valid: ValidEppDocument,
  source: string,
  context: LoadContext,
): Instantiated<LoadedEppConfig> {
  const { document, gates } = valid;
  const built = instantiatePlugins(document.plugins, context.registry, context.handle, policyOf(gates));
  const configured = built.instances.map((i) => i.plugin);
  if (built.issues.length > 0) return { instances: configured, built: err([...built.issues]) };

  const wiring = new Wiring(document, configured, context.registry, context.handle);
  const warnings = [...valid.warnings, ...built.deprecations.map((d) => d.warning)];
  wireDataProducers(wiring, configured);
  const parser = resolveParser(wiring, document);
  const saturationDetector = resolveSaturationDetector(wiring, document);
  const metrics = resolveDataLayer(wiring, document);
  const scheduler = buildScheduler(wiring, document, configured);
  let flowControl: FlowControlConfig | undefined;
  if (gates.has("flowControl")) {
    const fc = flowControlConfigFrom(document.flowControl);
    if (fc.ok) flowControl = fc.value;
    else wiring.issues.push(...fc.error);
  } else if (document.flowControl !== undefined) {
    warnings.push("flowControl is set but the flowControl feature gate is off; the section is ignored");
  }
  const all = wiring.instances;
  if (wiring.issues.length > 0 || !parser || !saturationDetector || !scheduler) {
    return { instances: all, built: err(wiring.issues) };
  }
  return {
    instances: all,
    built: ok({
      source,
      document,
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
      featureGates: gates,
      flowControl,
      warnings,
    }),
  };
}
