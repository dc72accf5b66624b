import { z } from "zod";
import type { PluginTypeRegistration } from "../../../plugin/registry.js";
import { MODEL_HEADER } from "../../api/model-selection.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";

// What registering multipart-model needs (name, gate, stability, parameter schema), apart from
// the implementation in multipart-model.ts, so that a registry holding the type does not load
// the multipart parser until a config uses it (see lazyPluginType and bbr/plugins/in-tree.ts).

/** MULTIPART_MODEL is the plugin type name. */
export const MULTIPART_MODEL = "multipart-model";

/** MULTIPART_MODEL_GATE is the feature gate that enables this alpha type. */
export const MULTIPART_MODEL_GATE = "MultipartModel";

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** multipartModelParameters: which form field, which header, and parsing bounds. */
export const multipartModelParameters = z
  .strictObject({
    /** Form field holding the model. */
    fieldName: z.string().min(1).default("model"),
    /** Header to set ("" for CycleState only). */
    headerName: z
      .string()
      .refine((h) => h === "" || HEADER_NAME.test(h), "headerName must be a valid HTTP header name or empty")
      .default(MODEL_HEADER),
    /** Longest accepted model value in bytes. */
    maxFieldBytes: z.number().int().positive().max(65536).default(1024),
    /** Most parts a form may have. */
    maxParts: z.number().int().positive().max(10000).default(100),
  })
  .default({ fieldName: "model", headerName: MODEL_HEADER, maxFieldBytes: 1024, maxParts: 100 });

export type MultipartModelParameters = z.infer<typeof multipartModelParameters>;

/** multipartModelRegistration is the type's registration without its factory. */
export const multipartModelRegistration: PluginTypeRegistration<MultipartModelParameters, BbrPluginHandle> = {
  type: MULTIPART_MODEL,
  description:
    "Reads the model field of multipart/form-data bodies (audio transcriptions) without buffering files as text.",
  stability: "alpha",
  featureGate: MULTIPART_MODEL_GATE,
  extensionPoints: ["MetadataExtractor"],
  parameters: multipartModelParameters,
};
