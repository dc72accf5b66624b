import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { err, ok, type Result } from "../../../common/result.js";

/** MAX_METRICS_BYTES caps a scrape body: a model server's /metrics is a few hundred KB at most. */
export const MAX_METRICS_BYTES = 8 * 1024 * 1024;

/** Scraper fetches metrics text over keep-alive connections (one connection per endpoint, reused every tick). */
export class Scraper {
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  private readonly httpsAgent: HttpsAgent;

  constructor(insecureSkipVerify: boolean) {
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: !insecureSkipVerify });
  }

  /** fetch GETs url with a deadline; non-200, oversized or late answers are errors. */
  fetch(url: string, timeoutMs: number): Promise<Result<string, string>> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: Result<string, string>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        resolve(err(`invalid metrics URL ${url}`));
        return;
      }
      const https = parsed.protocol === "https:";
      const req = (https ? httpsRequest : httpRequest)(parsed, {
        method: "GET",
        agent: https ? this.httpsAgent : this.httpAgent,
        headers: { accept: "text/plain;version=0.0.4" },
      });
      const timer = setTimeout(() => {
        req.destroy();
        done(err(`scrape timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      req.on("error", (e) => done(err(`scrape failed: ${e.message}`)));
      req.on("response", (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          done(err(`scrape answered HTTP ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_METRICS_BYTES) {
            req.destroy();
            done(err(`metrics body over ${MAX_METRICS_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => done(ok(Buffer.concat(chunks).toString("utf8"))));
        res.on("error", (e) => done(err(`scrape failed: ${e.message}`)));
      });
      req.end();
    });
  }

  /** close drops idle keep-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
