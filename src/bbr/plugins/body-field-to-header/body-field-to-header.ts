import { z } from "zod";
import { ok } from "../../../common/result.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import type { MetadataExtractor } from "../../api/extension-points.js";
import type { RequestView } from "../../api/inference-message.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";
import type { BbrMetrics } from "../../metrics.js";
import { formatGoScalar } from "../../api/go-format.js";

/** BODY_FIELD_TO_HEADER is the plugin type name. */
export const BODY_FIELD_TO_HEADER = "body-field-to-header";

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** bodyFieldToHeaderParameters: both fields required, unknown keys refused. */
export const bodyFieldToHeaderParameters = z.strictObject({
  /** Top-level body field to read, e.g. "model". */
  fieldName: z.string().min(1, "fieldName must not be empty"),
  /** Header to set, e.g. "X-Gateway-Model-Name". */
  headerName: z.string().regex(HEADER_NAME, "headerName must be a valid HTTP header name"),
});

export type BodyFieldToHeaderParameters = z.infer<typeof bodyFieldToHeaderParameters>;

/**
 * BodyFieldToHeader copies a top-level body field into a request header. Strings are copied as
 * is; numbers and booleans are rendered as GIE renders them (1 → "1", 0.7 → "0.7", true →
 * "true"). A missing field, null, an object or an array sets nothing
 * (bbr_body_field_not_found_total); an empty string sets nothing (bbr_body_field_empty_total).
 */
export class BodyFieldToHeader implements MetadataExtractor {
  readonly typedName: TypedName;

  constructor(
    name: string,
    private readonly params: BodyFieldToHeaderParameters,
    private readonly metrics: BbrMetrics,
  ) {
    this.typedName = { type: BODY_FIELD_TO_HEADER, name };
  }

  extractMetadata(request: RequestView): void {
    const { fieldName, headerName } = this.params;
    const value = request.body.hasField(fieldName) ? formatGoScalar(request.body.field(fieldName)) : undefined;
    if (value === undefined) {
      this.metrics.bodyFieldNotFound.inc({ field: fieldName });
      return;
    }
    if (value === "") {
      this.metrics.bodyFieldEmpty.inc({ field: fieldName });
      return;
    }
    request.setHeader(headerName, value);
  }
}

/** bodyFieldToHeaderType registers body-field-to-header. */
export const bodyFieldToHeaderType: PluginTypeSpec<BodyFieldToHeaderParameters, BbrPluginHandle> = {
  type: BODY_FIELD_TO_HEADER,
  description: "Copies a top-level request body field (e.g. model) into a request header.",
  stability: "stable",
  extensionPoints: ["MetadataExtractor"],
  parameters: bodyFieldToHeaderParameters,
  create: (name, params, handle) => ok(new BodyFieldToHeader(name, params, handle.metrics)),
};
