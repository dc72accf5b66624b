import type { ReadonlyHeaders } from "./headers.js";
import type { BodyKind } from "./message-body.js";

/**
 * bodyKindOf decides from the content type whether a body can be read as JSON: application/json,
 * any +json type, or no content type at all (OpenAI clients always send one; curl users often do
 * not). Content codings are the stream processor's concern: it decodes the ones it knows and
 * treats bodies in other codings as opaque.
 */
export function bodyKindOf(headers: ReadonlyHeaders): BodyKind {
  const contentType = headers.get("content-type");
  if (contentType === undefined || contentType.trim() === "") return "json";
  const mime = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return mime === "application/json" || mime.endsWith("+json") ? "json" : "opaque";
}
