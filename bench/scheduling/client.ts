import { Agent, request } from "node:http";

/** Outcome of one request as the client saw it; times are real milliseconds from the run start. */
export interface RequestOutcome {
  readonly cls: string;
  readonly sentMs: number;
  /** HTTP status; 0 when no answer arrived (network error, timeout). */
  status: number;
  kind: "ok" | "http-error" | "network-error" | "timeout";
  /** errorCode is the OpenAI-shaped error's `code` (or the network error's code). */
  errorCode?: string;
  /** ttftMs: send to the first SSE event carrying content. */
  ttftMs?: number;
  /** endMs: send to the end of the answer. */
  endMs?: number;
  outputTokens: number;
  /** From the last event's usage: prompt tokens as the model server counted them, and how many were cached. */
  promptTokens?: number;
  cachedTokens?: number;
  /** endpoint is the replica devgw sent the request to (x-devgw-endpoint). */
  endpoint?: string;
}

/** TargetUrl is where requests go (devgw's listener). */
export interface Target {
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

const MAX_ERROR_BODY = 64 * 1024;

interface ChunkEvent {
  choices?: { delta?: { content?: string } }[];
  usage?: { prompt_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } };
}

/**
 * StreamingClient sends chat completions with `stream: true` and times the first content event.
 * onToken is called at the real time of each content event (for windowed throughput).
 */
export class StreamingClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

  constructor(
    private readonly target: Target,
    private readonly clock: () => number,
    private readonly onToken: (atMs: number) => void,
  ) {}

  send(
    cls: string,
    body: string,
    headers: Readonly<Record<string, string>>,
    timeoutMs: number,
  ): Promise<RequestOutcome> {
    const sent = this.clock();
    const outcome: RequestOutcome = { cls, sentMs: sent, status: 0, kind: "network-error", outputTokens: 0 };
    const signal = AbortSignal.timeout(Math.max(1, Math.round(timeoutMs)));
    return new Promise((resolve) => {
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        outcome.endMs = this.clock() - sent;
        resolve(outcome);
      };
      const req = request(
        {
          host: this.target.host,
          port: this.target.port,
          path: this.target.path,
          method: "POST",
          agent: this.agent,
          headers: { ...headers, "content-length": Buffer.byteLength(body) },
          signal,
        },
        (res) => {
          outcome.status = res.statusCode ?? 0;
          const endpoint = res.headers["x-devgw-endpoint"];
          if (typeof endpoint === "string") outcome.endpoint = endpoint;
          res.setEncoding("utf8");
          if (outcome.status !== 200) {
            outcome.kind = "http-error";
            let text = "";
            res.on("data", (d: string) => {
              if (text.length < MAX_ERROR_BODY) text += d;
            });
            res.on("end", () => {
              outcome.errorCode = errorCodeOf(text);
              finish();
            });
            res.on("close", () => finish());
            return;
          }
          let buffered = "";
          res.on("data", (d: string) => {
            buffered += d;
            for (let sep = buffered.indexOf("\n\n"); sep >= 0; sep = buffered.indexOf("\n\n")) {
              this.onEvent(buffered.slice(0, sep), outcome, sent);
              buffered = buffered.slice(sep + 2);
            }
          });
          res.on("end", () => {
            outcome.kind = "ok";
            finish();
          });
          res.on("error", (e) => {
            outcome.kind = signal.aborted ? "timeout" : "network-error";
            outcome.errorCode = (e as NodeJS.ErrnoException).code ?? e.message;
            finish();
          });
          // An answer cut short (timeout, upstream reset) may close without "end" or "error".
          res.on("close", () => {
            if (!res.complete && !settled) {
              outcome.kind = signal.aborted ? "timeout" : "network-error";
              outcome.errorCode ??= "incomplete";
            }
            finish();
          });
        },
      );
      req.on("error", (e) => {
        outcome.kind = signal.aborted ? "timeout" : "network-error";
        outcome.errorCode = (e as NodeJS.ErrnoException).code ?? e.message;
        finish();
      });
      req.end(body);
    });
  }

  private onEvent(event: string, outcome: RequestOutcome, sent: number): void {
    for (const line of event.split("\n")) {
      if (!line.startsWith("data:")) continue;
      const payload = line.slice(5).trim();
      if (payload === "[DONE]") return;
      let parsed: ChunkEvent;
      try {
        parsed = JSON.parse(payload) as ChunkEvent;
      } catch {
        continue;
      }
      if (parsed.choices?.[0]?.delta?.content) {
        const now = this.clock();
        if (outcome.ttftMs === undefined) outcome.ttftMs = now - sent;
        outcome.outputTokens++;
        this.onToken(now);
      }
      const usage = parsed.usage;
      if (usage?.prompt_tokens !== undefined) outcome.promptTokens = usage.prompt_tokens;
      if (usage?.prompt_tokens_details?.cached_tokens !== undefined) {
        outcome.cachedTokens = usage.prompt_tokens_details.cached_tokens;
      }
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

/** errorCodeOf reads `error.code` of an OpenAI-shaped error body ("unknown" otherwise). */
export function errorCodeOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; type?: unknown } };
    const code = parsed.error?.code ?? parsed.error?.type;
    return typeof code === "string" && code !== "" ? code : "unknown";
  } catch {
    return "unknown";
  }
}
