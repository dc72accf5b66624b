import { isMetricsDataSource, isMetricsExtractor } from "../api/datalayer.js";
import {
  METRICS_DATA_SOURCE_ROLE,
  METRICS_EXTRACTOR_ROLE,
  PARSER_ROLE,
  SATURATION_DETECTOR_ROLE,
} from "../api/defaults.js";
import { isRequestParser, type RequestParser } from "../api/request-control.js";
import { isSaturationDetector, type SaturationDetector } from "../api/saturation.js";
import type { MetricsCollection } from "./loaded-config.js";
import type { EppConfigDocument } from "./schema.js";
import type { Wiring } from "./wiring.js";

const PARSER = { fits: isRequestParser, says: "is not a parser" };
const SATURATION_DETECTOR = { fits: isSaturationDetector, says: "is not a saturation detector" };
const DATA_SOURCE = { fits: isMetricsDataSource, says: "is not a data source" };
const EXTRACTOR = { fits: isMetricsExtractor, says: "is not a metrics extractor" };

/** resolveParser is the config's `parser`, or the default parser. */
export function resolveParser(wiring: Wiring, document: EppConfigDocument): RequestParser | undefined {
  return wiring.fill(document.parser?.pluginRef, "parser", PARSER_ROLE, PARSER);
}

/** resolveSaturationDetector is the config's `saturationDetector`, or the default detector. */
export function resolveSaturationDetector(wiring: Wiring, document: EppConfigDocument): SaturationDetector | undefined {
  return wiring.fill(
    document.saturationDetector?.pluginRef,
    "saturationDetector",
    SATURATION_DETECTOR_ROLE,
    SATURATION_DETECTOR,
  );
}

/**
 * resolveDataLayer is the scrape pipeline: the config's one data source and its one extractor,
 * the default pair when `dataLayer` is absent, or none when `dataLayer: {sources: []}` turns
 * collection off.
 */
export function resolveDataLayer(wiring: Wiring, document: EppConfigDocument): MetricsCollection | undefined {
  const layer = document.dataLayer;
  if (layer === undefined) {
    const source = wiring.fill(undefined, "dataLayer", METRICS_DATA_SOURCE_ROLE, DATA_SOURCE);
    const extractor = wiring.fill(undefined, "dataLayer", METRICS_EXTRACTOR_ROLE, EXTRACTOR);
    return source && extractor ? { source, extractor } : undefined;
  }
  if (layer.sources.length === 0) return undefined;
  if (layer.sources.length > 1) {
    wiring.issues.push({ path: "dataLayer.sources", message: "only one data source is supported" });
    return undefined;
  }
  const spec = layer.sources[0]!;
  const source = wiring.refs.find(spec.pluginRef, "dataLayer.sources[0].pluginRef", DATA_SOURCE);
  if (spec.extractors.length !== 1) {
    wiring.issues.push({
      path: "dataLayer.sources[0].extractors",
      message: "a data source needs exactly one extractor",
    });
    return undefined;
  }
  const extractor = wiring.refs.find(
    spec.extractors[0]!.pluginRef,
    "dataLayer.sources[0].extractors[0].pluginRef",
    EXTRACTOR,
  );
  return source && extractor ? { source, extractor } : undefined;
}
