import { err, ok, type Result } from "../../common/result.js";

/** ApiKind is which OpenAI endpoint was called. */
export type ApiKind = "chat" | "completions";

/** GenerationRequest is what the simulator needs from an OpenAI request body. */
export interface GenerationRequest {
  readonly model: string;
  readonly prompt: string;
  /** max_tokens / max_completion_tokens, if given. */
  readonly maxTokens: number | undefined;
  readonly stream: boolean;
}

/** ApiError is an OpenAI-shaped error answer (vLLM's ErrorResponse). */
export interface ApiError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
  readonly param?: string;
}

/** apiErrorBody renders `{"error":{message,type,param,code}}` as vLLM does. */
export function apiErrorBody(e: ApiError): string {
  return JSON.stringify({ error: { message: e.message, type: e.type, param: e.param ?? null, code: e.status } });
}

function badRequest(message: string, param?: string): ApiError {
  return param === undefined
    ? { status: 400, type: "BadRequestError", message }
    : { status: 400, type: "BadRequestError", message, param };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** textOf flattens message content: a string, or an array of {type:"text", text} parts. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (isRecord(part) && typeof part["text"] === "string" ? part["text"] : "")).join("");
}

/** parseGenerationRequest validates a chat or completions body (already JSON-decoded). */
export function parseGenerationRequest(kind: ApiKind, body: unknown): Result<GenerationRequest, ApiError> {
  if (!isRecord(body)) return err(badRequest("request body must be a JSON object"));
  const model = body["model"];
  if (typeof model !== "string" || model === "") return err(badRequest("model must be a non-empty string", "model"));
  let prompt: string;
  if (kind === "chat") {
    const messages = body["messages"];
    if (!Array.isArray(messages) || messages.length === 0) {
      return err(badRequest("messages must be a non-empty array", "messages"));
    }
    // Roles count toward the prompt, roughly as a chat template adds them.
    prompt = messages.map((m) => (isRecord(m) ? `${String(m["role"] ?? "")}: ${textOf(m["content"])}\n` : "")).join("");
  } else {
    const p = body["prompt"];
    if (typeof p === "string") prompt = p;
    else if (Array.isArray(p) && p.every((x) => typeof x === "string")) prompt = p.join("");
    else return err(badRequest("prompt must be a string or an array of strings", "prompt"));
  }
  const raw = body["max_completion_tokens"] ?? body["max_tokens"];
  let maxTokens: number | undefined;
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 1) {
      return err(badRequest("max_tokens must be a positive integer", "max_tokens"));
    }
    maxTokens = raw;
  }
  const stream = body["stream"];
  if (stream !== undefined && stream !== null && typeof stream !== "boolean") {
    return err(badRequest("stream must be a boolean", "stream"));
  }
  return ok({ model, prompt, maxTokens, stream: stream === true });
}

/** Usage is the OpenAI usage block; cached tokens as vLLM reports them. */
export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly prompt_tokens_details: { readonly cached_tokens: number };
}

/** usageOf builds a usage block. */
export function usageOf(promptTokens: number, completionTokens: number, cachedTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens },
  };
}

/** ResponseIds are the fields every chunk of one response shares. */
export interface ResponseIds {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

/** completionBody is the non-streaming response. */
export function completionBody(
  kind: ApiKind,
  ids: ResponseIds,
  text: string,
  finishReason: string,
  usage: Usage,
): string {
  const choice =
    kind === "chat"
      ? { index: 0, message: { role: "assistant", content: text }, logprobs: null, finish_reason: finishReason }
      : { index: 0, text, logprobs: null, finish_reason: finishReason };
  return JSON.stringify({
    id: ids.id,
    object: kind === "chat" ? "chat.completion" : "text_completion",
    created: ids.created,
    model: ids.model,
    choices: [choice],
    usage,
  });
}

/**
 * streamChunk is one SSE event (`data: {...}\n\n`). `first` adds the assistant role (chat);
 * the last chunk carries finish_reason and usage.
 */
export function streamChunk(
  kind: ApiKind,
  ids: ResponseIds,
  text: string,
  opts: { first?: boolean; finishReason?: string; usage?: Usage } = {},
): string {
  const finish = opts.finishReason ?? null;
  const choice =
    kind === "chat"
      ? {
          index: 0,
          delta: opts.first ? { role: "assistant", content: text } : { content: text },
          logprobs: null,
          finish_reason: finish,
        }
      : { index: 0, text, logprobs: null, finish_reason: finish };
  const chunk = {
    id: ids.id,
    object: kind === "chat" ? "chat.completion.chunk" : "text_completion",
    created: ids.created,
    model: ids.model,
    choices: [choice],
    ...(opts.usage ? { usage: opts.usage } : {}),
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** SSE_DONE ends an OpenAI stream. */
export const SSE_DONE = "data: [DONE]\n\n";
