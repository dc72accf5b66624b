import { readFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCodeOf, StreamingClient } from "./client.js";

const SSE = readFileSync(new URL("../../test/fixtures/scheduling/sse-stream.txt", import.meta.url), "utf8");

// A real HTTP server standing in for devgw: the path picks the behaviour.
function handle(path: string, res: ServerResponse): void {
  switch (path) {
    case "/sse": {
      res.writeHead(200, { "content-type": "text/event-stream", "x-devgw-endpoint": "127.0.0.1:9" });
      // Cut events mid-line so the client has to reassemble them.
      const cuts = [0, 37, 150, 151, 400, SSE.length];
      let i = 0;
      const next = (): void => {
        if (i + 1 >= cuts.length) {
          res.end();
          return;
        }
        res.write(SSE.slice(cuts[i], cuts[i + 1]));
        i++;
        setTimeout(next, 5);
      };
      next();
      return;
    }
    case "/429":
      res.writeHead(429, { "content-type": "application/json" });
      res.end('{"error":{"message":"system saturated","type":"rate_limit_error","code":"sheddable_request_dropped"}}');
      return;
    case "/stall":
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"choices":[{"delta":{"content":"ab"}}]}\n\n');
      return; // never ends
    default:
      res.socket?.destroy();
  }
}

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => handle(req.url ?? "", res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function client(path: string, tokens: number[]) {
  const start = performance.now();
  return new StreamingClient(
    { host: "127.0.0.1", port, path },
    () => performance.now() - start,
    (t) => tokens.push(t),
  );
}

describe("StreamingClient", () => {
  it("times the first content event and counts content events, reading usage", async () => {
    const tokens: number[] = [];
    const c = client("/sse", tokens);
    const o = await c.send("group-1", "{}", { "content-type": "application/json" }, 5000);
    c.close();
    expect(o).toMatchObject({
      cls: "group-1",
      status: 200,
      kind: "ok",
      outputTokens: 3,
      promptTokens: 40,
      cachedTokens: 32,
      endpoint: "127.0.0.1:9",
    });
    expect(o.errorCode).toBeUndefined();
    expect(tokens).toHaveLength(3);
    expect(o.ttftMs).toBeGreaterThan(0);
    expect(o.ttftMs).toBeLessThanOrEqual(o.endMs!);
    expect(o.sentMs + o.ttftMs!).toBeCloseTo(tokens[0]!, 6);
  });

  it.each([
    {
      path: "/429",
      want: { status: 429, kind: "http-error", errorCode: "sheddable_request_dropped", outputTokens: 0 },
    },
    { path: "/reset", want: { status: 0, kind: "network-error", outputTokens: 0 } },
    { path: "/stall", want: { status: 200, kind: "timeout", outputTokens: 1 } },
  ])("$path ends with a defined outcome", async ({ path, want }) => {
    const c = client(path, []);
    const o = await c.send("x", "{}", {}, 300);
    c.close();
    expect(o).toMatchObject(want);
    expect(o.endMs).toBeGreaterThanOrEqual(0);
  });
});

describe("errorCodeOf", () => {
  it.each([
    { body: '{"error":{"code":"route_not_found","type":"not_found_error"}}', want: "route_not_found" },
    { body: '{"error":{"type":"rate_limit_error"}}', want: "rate_limit_error" },
    { body: '{"error":{"code":""}}', want: "unknown" },
    { body: "upstream connect error", want: "unknown" },
    { body: "", want: "unknown" },
  ])("$body → $want", ({ body, want }) => {
    expect(errorCodeOf(body)).toBe(want);
  });
});
