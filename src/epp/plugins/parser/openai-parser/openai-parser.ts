import { isUtf8 } from "node:buffer";
import { err, ok, type Result } from "../../../../common/result.js";
import { RequestError } from "../../../../common/request-error.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { RequestParser } from "../../../api/request-control.js";
import type { ApiKind, ParsedBody } from "../../../api/request.js";
import { noParameters } from "../../params.js";

/** OPENAI_PARSER is the plugin type name. */
export const OPENAI_PARSER = "openai-parser";

// Longest suffix first: "/chat/completions" must win over "/completions".
const API_BY_SUFFIX: readonly [string, ApiKind][] = [
  ["/chat/completions", "chat-completions"],
  ["/conversations", "conversations"],
  ["/completions", "completions"],
  ["/embeddings", "embeddings"],
  ["/responses", "responses"],
];

/** apiKindOfPath detects the API from the path suffix (query ignored); unknown paths count as completions. */
export function apiKindOfPath(path: string): ApiKind {
  const bare = path.split("?", 1)[0]!.replace(/\/+$/, "");
  for (const [suffix, kind] of API_BY_SUFFIX) if (bare.endsWith(suffix)) return kind;
  return "completions";
}

/**
 * utf8Text decodes a body as TextDecoder("utf-8", { fatal: true }) does (a leading BOM dropped,
 * undefined for invalid UTF-8), through Buffer's validator and decoder, which cost less per
 * request than the fatal TextDecoder.
 */
function utf8Text(bytes: Uint8Array): string | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isUtf8(buffer)) return undefined;
  const start = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return buffer.toString("utf8", start);
}

function badRequest(message: string, reason: string): Result<never, RequestError> {
  return err(new RequestError("BadRequest", message, { reason }));
}

/**
 * cappedJsonArray serialises `[v0,v1,...]` exactly as JSON.stringify would, but stops once
 * `limit` bytes are certain (a character is at least one byte), so a huge prompt is never
 * serialised in full just to hash its first blocks.
 */
export function cappedJsonArray(values: readonly unknown[], limit: number): Uint8Array {
  let text = "[";
  for (let i = 0; i < values.length && text.length < limit; i++) {
    text += (i > 0 ? "," : "") + (JSON.stringify(values[i]) ?? "null");
  }
  if (text.length < limit) text += "]";
  return capped(text, limit);
}

function capped(text: string, limit: number): Uint8Array {
  // Buffer.from encodes like TextEncoder (lone surrogates become U+FFFD) at half the cost for
  // short strings, which it carves from Node's shared pool instead of allocating a buffer each.
  const bytes = Buffer.from(text.length > limit ? text.slice(0, limit) : text, "utf8");
  return bytes.length > limit ? bytes.subarray(0, limit) : bytes;
}

/** arrayPrompt is an array's JSON; anything else yields no prompt bytes. */
function arrayPrompt(value: unknown, limit: number): Uint8Array {
  return Array.isArray(value) ? cappedJsonArray(value, limit) : new Uint8Array(0);
}

/** textOrArrayPrompt is a string as its text, an array as its JSON, anything else as no bytes. */
function textOrArrayPrompt(value: unknown, limit: number): Uint8Array {
  return typeof value === "string" ? capped(value, limit) : arrayPrompt(value, limit);
}

function promptOf(kind: ApiKind, body: Readonly<Record<string, unknown>>, limit: number): Uint8Array {
  switch (kind) {
    case "chat-completions":
      return arrayPrompt(body["messages"], limit);
    case "completions":
      return textOrArrayPrompt(body["prompt"], limit);
    case "responses":
      return cappedJsonArray(
        [{ instructions: body["instructions"] }, { tools: body["tools"] }, { input: body["input"] }],
        limit,
      );
    case "conversations":
      return arrayPrompt(body["items"], limit);
    case "embeddings":
      return textOrArrayPrompt(body["input"], limit);
  }
}

/**
 * OpenAiParser reads OpenAI-compatible JSON bodies: the body must be a JSON object with a
 * non-empty string `model`; anything else is a 400 with an OpenAI-shaped error.
 */
export class OpenAiParser implements RequestParser {
  readonly typedName: TypedName;

  constructor(name: string) {
    this.typedName = { type: OPENAI_PARSER, name };
  }

  parse(path: string, bytes: Uint8Array): Result<ParsedBody, RequestError> {
    if (bytes.length === 0) return badRequest("request body is empty", "missing_body");
    const text = utf8Text(bytes);
    if (text === undefined) return badRequest("request body is not valid JSON", "invalid_json");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return badRequest("request body is not valid JSON", "invalid_json");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return badRequest("request body must be a JSON object", "invalid_body");
    }
    const body = value as Record<string, unknown>;
    const model = body["model"];
    if (typeof model !== "string" || model === "") {
      return badRequest("model not found in request body", "missing_model");
    }
    const apiKind = apiKindOfPath(path);
    const salt = body["cache_salt"];
    let cached: { limit: number; bytes: Uint8Array } | undefined;
    return ok({
      apiKind,
      model,
      body,
      cacheSalt: typeof salt === "string" && salt !== "" ? salt : undefined,
      promptBytes(limit: number): Uint8Array {
        if (cached?.limit !== limit) cached = { limit, bytes: promptOf(apiKind, body, limit) };
        return cached.bytes;
      },
    });
  }
}

/** openAiParserType registers openai-parser. */
export const openAiParserType: PluginTypeSpec<Record<string, never>, EppPluginHandle> = {
  type: OPENAI_PARSER,
  description: "Parses OpenAI-compatible request bodies (completions, chat, responses, conversations, embeddings).",
  stability: "stable",
  extensionPoints: ["Parser"],
  parameters: noParameters,
  create: (name) => ok(new OpenAiParser(name)),
};
