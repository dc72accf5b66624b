import { request } from "node:http";

/** HttpResult is a whole response as the client saw it. */
export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * send makes one HTTP/1.1 request on a fresh connection and collects the answer. A server may
 * answer (413, 400) before the upload ends; a write error after the answer is ignored, as a
 * browser or curl would.
 */
export function send(
  port: number,
  path: string,
  body: string | Buffer | undefined,
  headers: Record<string, string> = {},
  method = "POST",
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers, agent: false });
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("error", (e) => {
      if (!answered) reject(e);
    });
    req.end(body);
  });
}

/** jsonHeaders is what an OpenAI client sends. */
export const JSON_HEADERS = { "content-type": "application/json" } as const;

/** chatBody is a small chat completion request. */
export function chatBody(model: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model, messages: [{ role: "user", content: "Hello!" }], max_tokens: 4, ...extra });
}
