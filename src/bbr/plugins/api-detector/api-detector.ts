import { z } from "zod";
import { ok } from "../../../common/result.js";
import { StateKey } from "../../../plugin/cycle-state.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import type { MetadataExtractor } from "../../api/extension-points.js";
import type { RequestView } from "../../api/inference-message.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";

/** API_DETECTOR is the plugin type name. */
export const API_DETECTOR = "api-detector";

/** API_KIND_HEADER is the default header the detected API goes to. */
export const API_KIND_HEADER = "X-Gateway-Api-Kind";

/** ApiKind is what a request was classified as. */
export type ApiKind =
  | "openai-chat-completions"
  | "openai-completions"
  | "openai-embeddings"
  | "openai-responses"
  | "openai-audio-transcriptions"
  | "openai-audio-translations"
  | "anthropic-messages"
  | "unknown";

/** API_KIND is where the classification goes in CycleState. */
export const API_KIND = new StateKey<ApiKind>("api-detector/kind");

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** apiDetectorParameters: the header to write (empty string: CycleState only). */
export const apiDetectorParameters = z
  .strictObject({
    headerName: z
      .string()
      .refine((h) => h === "" || HEADER_NAME.test(h), "headerName must be a valid HTTP header name or empty")
      .default(API_KIND_HEADER),
  })
  .default({ headerName: API_KIND_HEADER });

export type ApiDetectorParameters = z.infer<typeof apiDetectorParameters>;

// Path suffixes, so prefixed mounts (/openai/v1/..., /anthropic/v1/...) classify too.
const BY_PATH: readonly [string, ApiKind][] = [
  ["/chat/completions", "openai-chat-completions"],
  ["/completions", "openai-completions"],
  ["/embeddings", "openai-embeddings"],
  ["/responses", "openai-responses"],
  ["/audio/transcriptions", "openai-audio-transcriptions"],
  ["/audio/translations", "openai-audio-translations"],
  ["/messages", "anthropic-messages"],
];

/** kindFromPath classifies by the request path (query string ignored), or undefined. */
export function kindFromPath(path: string | undefined): ApiKind | undefined {
  if (!path) return undefined;
  let p = path.split("?", 1)[0]!.toLowerCase();
  if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
  for (const [suffix, kind] of BY_PATH) if (p.endsWith(suffix)) return kind;
  return undefined;
}

const RESPONSES_ONLY = ["instructions", "previous_response_id", "reasoning", "text", "store", "include"];

/**
 * kindFromBody classifies by body shape when the path says nothing: Anthropic bodies carry
 * `messages` plus a top-level `system` or a required `max_tokens` with an anthropic-version
 * header; OpenAI chat has `messages`; completions `prompt`; embeddings `input` with embedding
 * options; responses `input` with responses-only fields.
 */
export function kindFromBody(request: RequestView): ApiKind {
  const contentType = request.headers.get("content-type")?.toLowerCase() ?? "";
  if (contentType.startsWith("multipart/form-data")) return "openai-audio-transcriptions";
  if (request.body.kind !== "json" || request.body.receivedBytes === 0) return "unknown";
  const body = request.body.json();
  if (!body) return "unknown";
  const has = (k: string) => Object.hasOwn(body, k);
  if (has("messages")) {
    if (
      request.headers.has("anthropic-version") ||
      typeof body["system"] === "string" ||
      Array.isArray(body["system"])
    ) {
      return "anthropic-messages";
    }
    return "openai-chat-completions";
  }
  if (has("prompt")) return "openai-completions";
  if (has("input")) {
    if (has("encoding_format") || has("dimensions")) return "openai-embeddings";
    if (RESPONSES_ONLY.some(has)) return "openai-responses";
    // Both APIs take a bare {model, input}; a string or string list is the embeddings shape.
    const input = body["input"];
    const textual = typeof input === "string" || (Array.isArray(input) && input.every((i) => typeof i === "string"));
    return textual ? "openai-embeddings" : "openai-responses";
  }
  return "unknown";
}

/**
 * ApiDetector classifies the request's API from its path, falling back to the body's shape,
 * and records it in CycleState (api-detector/kind) and a header (default X-Gateway-Api-Kind)
 * that routes can match. It always sets the header, so a client cannot choose its own value.
 */
export class ApiDetector implements MetadataExtractor {
  readonly typedName: TypedName;

  constructor(
    name: string,
    private readonly params: ApiDetectorParameters,
  ) {
    this.typedName = { type: API_DETECTOR, name };
  }

  extractMetadata(request: RequestView): void {
    const kind = kindFromPath(request.path) ?? kindFromBody(request);
    request.cycleState.write(API_KIND, kind);
    if (this.params.headerName !== "") request.setHeader(this.params.headerName, kind);
  }
}

/** apiDetectorType registers api-detector. */
export const apiDetectorType: PluginTypeSpec<ApiDetectorParameters, BbrPluginHandle> = {
  type: API_DETECTOR,
  description: "Classifies the request API (OpenAI chat/completions/embeddings/responses/audio, Anthropic messages).",
  stability: "beta",
  extensionPoints: ["MetadataExtractor"],
  parameters: apiDetectorParameters,
  create: (name, params) => ok(new ApiDetector(name, params)),
};
