// Roles the EPP config loader fills with a default plugin when a config leaves them empty, as
// the reference does. The registry names the type for each role (src/epp/plugins/in-tree.ts
// sets the in-tree ones), so the loader asks by role and never imports a concrete plugin.

/** EppRole names a place the loader can fill with a registry default. */
export type EppRole =
  | "parser"
  | "picker"
  | "profile-handler"
  | "saturation-detector"
  | "metrics-data-source"
  | "metrics-extractor"
  | `producer:${string}`;

/** PARSER_ROLE is the RequestParser used when the config has no `parser`. */
export const PARSER_ROLE: EppRole = "parser";

/** PICKER_ROLE is the Picker added to a scheduling profile that lists none. */
export const PICKER_ROLE: EppRole = "picker";

/**
 * PROFILE_HANDLER_ROLE is the ProfileHandler used when the config has none. It runs exactly
 * one profile, so the loader refuses it (configured or not) for a config with several.
 */
export const PROFILE_HANDLER_ROLE: EppRole = "profile-handler";

/** SATURATION_DETECTOR_ROLE is the SaturationDetector used when the config has no `saturationDetector`. */
export const SATURATION_DETECTOR_ROLE: EppRole = "saturation-detector";

/** METRICS_DATA_SOURCE_ROLE and METRICS_EXTRACTOR_ROLE make up the scrape pipeline used when the config has no `dataLayer`. */
export const METRICS_DATA_SOURCE_ROLE: EppRole = "metrics-data-source";
export const METRICS_EXTRACTOR_ROLE: EppRole = "metrics-extractor";

/** producerRole is the DataProducer created for a data key that a plugin consumes and none produces. */
export function producerRole(dataKey: string): EppRole {
  return `producer:${dataKey}`;
}
