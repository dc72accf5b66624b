import type { CycleState } from "../../plugin/cycle-state.js";

/** ApiKind is the OpenAI-compatible API a request uses, detected from the path suffix. */
export type ApiKind = "chat-completions" | "completions" | "responses" | "conversations" | "embeddings";

/** ParsedBody is what a RequestParser extracts from a request body. */
export interface ParsedBody {
  readonly apiKind: ApiKind;
  /** model is the body's `model` (the client-facing model name). */
  readonly model: string;
  /** body is the parsed JSON object; plugins must treat it as read-only. */
  readonly body: Readonly<Record<string, unknown>>;
  /**
   * promptBytes returns at most `limit` UTF-8 bytes of the prompt as the prefix-cache index
   * hashes it (chat: the JSON of `messages`; completions: `prompt` text; ...). It serialises
   * only what it returns, so a 200 KB prompt costs nothing past the limit.
   */
  promptBytes(limit: number): Uint8Array;
  /** cacheSalt is the body's `cache_salt` (vLLM), which isolates prefix-cache entries. */
  readonly cacheSalt: string | undefined;
}

/**
 * LlmRequest is one request as the request-control and scheduling plugins see it. It is
 * built once the body is complete and lives until the response ends.
 */
export interface LlmRequest extends ParsedBody {
  /** requestId is x-request-id, or a generated UUID when the client sent none. */
  readonly requestId: string;
  /** targetModel is the model to serve: x-gateway-model-name-rewrite if set, else the body model. */
  readonly targetModel: string;
  /** objective is the x-gateway-inference-objective name, if any. */
  readonly objective: string | undefined;
  /** priority comes from the objective (default 0); negative means sheddable. */
  readonly priority: number;
  /** fairnessId is x-gateway-inference-fairness-id, default "default-flow". */
  readonly fairnessId: string;
  /** headers are the request headers, lower-case names. */
  readonly headers: ReadonlyMap<string, string>;
  readonly bodyBytes: number;
  /** state carries per-request data between plugins (producer → scorer → PreRequest → response). */
  readonly state: CycleState;
  /** now is performance.now() when scheduling started; metrics freshness is judged against it. */
  readonly now: number;
}
