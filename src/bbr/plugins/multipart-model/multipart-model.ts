import { ok } from "../../../common/result.js";
import { RequestError } from "../../../common/request-error.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import { bodyEncodingOf } from "../../pipeline/content-encoding.js";
import type { MetadataExtractor } from "../../api/extension-points.js";
import type { RequestView } from "../../api/inference-message.js";
import { REQUESTED_MODEL } from "../../api/model-selection.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";
import { readMultipartField } from "./multipart-field.js";
import { MULTIPART_MODEL, type MultipartModelParameters, multipartModelRegistration } from "./registration.js";

export {
  MULTIPART_MODEL,
  MULTIPART_MODEL_GATE,
  type MultipartModelParameters,
  multipartModelParameters,
} from "./registration.js";

/**
 * MultipartModel reads the model of multipart/form-data requests (OpenAI audio transcriptions
 * and translations), which are opaque to the JSON body: it writes bbr/requested-model, which
 * later ModelSelectors start from, and sets the model header. Other content types, and bodies
 * in a content coding BBR cannot decode, are left alone. A malformed form, or a model value
 * over the bound, is a 400.
 */
export class MultipartModel implements MetadataExtractor {
  readonly typedName: TypedName;

  constructor(
    name: string,
    private readonly params: MultipartModelParameters,
  ) {
    this.typedName = { type: MULTIPART_MODEL, name };
  }

  extractMetadata(request: RequestView): void | Promise<void> {
    const contentType = request.headers.get("content-type");
    if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return;
    // BBR decodes gzip/deflate/br/zstd before plugins run; another coding leaves bytes we cannot read.
    if (bodyEncodingOf(request.headers).kind === "unknown") return;
    if (request.body.receivedBytes === 0) return;
    const { fieldName, maxFieldBytes, maxParts } = this.params;
    return readMultipartField(request.body.originalBytes(), contentType, fieldName, { maxFieldBytes, maxParts }).then(
      (result) => {
        if (!result.ok) {
          throw new RequestError("BadRequest", `invalid multipart/form-data body: ${result.error}`, {
            reason: "invalid_multipart",
          });
        }
        const model = result.value?.trim();
        if (!model) return;
        request.cycleState.write(REQUESTED_MODEL, model);
        if (this.params.headerName !== "") request.setHeader(this.params.headerName, model);
      },
    );
  }
}

/** multipartModelType registers multipart-model (alpha: enable with feature gate MultipartModel). */
export const multipartModelType: PluginTypeSpec<MultipartModelParameters, BbrPluginHandle> = {
  ...multipartModelRegistration,
  create: (name, params) => ok(new MultipartModel(name, params)),
};
