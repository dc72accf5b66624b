import type { Usage } from "../api/request-control.js";

/** MAX_SSE_LINE_BYTES bounds one buffered SSE line; a longer line is skipped, not accumulated. */
export const MAX_SSE_LINE_BYTES = 1024 * 1024;

/**
 * usageOf reads an OpenAI `usage` object: prompt/completion tokens (chat, completions,
 * embeddings) or input/output tokens (responses API), with cached prompt tokens when reported.
 */
export function usageOf(value: unknown): Usage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const u = value as Record<string, unknown>;
  const prompt = u["prompt_tokens"] ?? u["input_tokens"];
  const completion = u["completion_tokens"] ?? u["output_tokens"] ?? 0;
  if (typeof prompt !== "number" || typeof completion !== "number") return undefined;
  const details = (u["prompt_tokens_details"] ?? u["input_tokens_details"]) as Record<string, unknown> | undefined;
  const cached = details?.["cached_tokens"];
  return {
    promptTokens: prompt,
    completionTokens: completion,
    cachedTokens: typeof cached === "number" ? cached : undefined,
  };
}

function usageInJson(text: string): Usage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const obj = parsed as Record<string, unknown>;
  // The responses API nests usage in the response object of its final event.
  return usageOf(obj["usage"]) ?? usageOf((obj["response"] as Record<string, unknown> | undefined)?.["usage"]);
}

/**
 * UsageTracker reads token usage from a response as it streams through, without holding the
 * stream back: for SSE it scans complete `data:` lines and keeps the last usage seen (servers
 * send it in the final event); for JSON it keeps a bounded copy and parses it at the end.
 */
export class UsageTracker {
  private readonly decoder = new TextDecoder("utf-8");
  private pendingLine = "";
  private skippingLine = false;
  private readonly jsonChunks: Uint8Array[] = [];
  private jsonBytes = 0;
  private gaveUp = false;
  private found: Usage | undefined;

  constructor(
    private streaming: boolean | undefined,
    private readonly maxJsonBytes: number,
  ) {}

  /** push feeds one body chunk. */
  push(chunk: Uint8Array): void {
    if (this.gaveUp || chunk.length === 0) return;
    if (this.streaming === undefined) this.streaming = looksLikeSse(chunk);
    if (this.streaming) this.scanSse(this.decoder.decode(chunk, { stream: true }));
    else this.keepJson(chunk);
  }

  /** finish returns the usage found, if any, once the body ended. */
  finish(): Usage | undefined {
    if (this.gaveUp) return undefined;
    if (this.streaming) {
      this.scanSse(`${this.decoder.decode()}\n`);
      return this.found;
    }
    if (this.jsonBytes === 0) return undefined;
    return usageInJson(this.decoder.decode(Buffer.concat(this.jsonChunks, this.jsonBytes)));
  }

  private keepJson(chunk: Uint8Array): void {
    this.jsonBytes += chunk.length;
    if (this.jsonBytes > this.maxJsonBytes) {
      this.gaveUp = true;
      this.jsonChunks.length = 0;
      return;
    }
    // Envoy's buffers are reused after we answer; keep a copy.
    this.jsonChunks.push(chunk.slice());
  }

  private scanSse(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (this.skippingLine) {
        this.skippingLine = false;
        this.pendingLine = "";
        continue;
      }
      this.line(this.pendingLine + piece);
      this.pendingLine = "";
    }
    if (this.skippingLine) return;
    this.pendingLine += text.slice(start);
    if (this.pendingLine.length > MAX_SSE_LINE_BYTES) {
      this.pendingLine = "";
      this.skippingLine = true;
    }
  }

  private line(raw: string): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (!line.startsWith("data:")) return;
    const payload = line.slice(5).trim();
    // Only events mentioning usage are worth a parse; most chunks are deltas.
    if (payload === "[DONE]" || !payload.includes('"usage"')) return;
    const usage = usageInJson(payload);
    if (usage) this.found = usage;
  }
}

function looksLikeSse(chunk: Uint8Array): boolean {
  const head = new TextDecoder().decode(chunk.subarray(0, 16)).trimStart();
  return head.startsWith("data:") || head.startsWith("event:") || head.startsWith(":");
}
