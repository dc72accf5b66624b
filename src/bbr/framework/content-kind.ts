import type { ReadonlyHeaders } from "./headers.js";
import type { BodyKind } from "./message-body.js";

/**
 * bodyKindOf decides whether a body can be read as JSON: application/json, any +json type, or
 * no content type at all (OpenAI clients always send one; curl users often do not). A
 * content-encoding other than identity hides the JSON, so such bodies are opaque: BBR never
 * guesses a model from bytes it cannot read.
 */
export function bodyKindOf(headers: ReadonlyHeaders): BodyKind {
  const encoding = headers.get("content-encoding")?.trim().toLowerCase();
  if (encoding && encoding !== "identity") return "opaque";
  const contentType = headers.get("content-type");
  if (contentType === undefined || contentType.trim() === "") return "json";
  const mime = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return mime === "application/json" || mime.endsWith("+json") ? "json" : "opaque";
}
