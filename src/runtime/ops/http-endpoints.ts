import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** ExtraRoute lets a component add a handler (the admin API) to the ops port. */
export type ExtraRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/** OpsHttpOptions configure the HTTP ops port. */
export interface OpsHttpOptions {
  readonly registry: Registry;
  /** ready tells /readyz whether to answer 200 (false while starting or draining). */
  readonly ready: () => boolean;
  readonly extraRoutes?: readonly ExtraRoute[];
}

/**
 * startOpsHttpServer serves /metrics (Prometheus), /healthz (liveness: the event loop runs)
 * and /readyz (readiness: serving and not draining) for Kubernetes probes.
 */
export async function startOpsHttpServer(
  options: OpsHttpOptions,
  address: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    for (const route of options.extraRoutes ?? []) if (route(req, res)) return;
    const path = (req.url ?? "/").split("?", 1)[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    switch (path) {
      case "/metrics":
        options.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": options.registry.contentType }).end(text),
          (e: unknown) => res.writeHead(500).end(String(e)),
        );
        return;
      case "/healthz":
        res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
        return;
      case "/readyz": {
        const ready = options.ready();
        res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ready\n" : "not ready\n");
        return;
      }
      default:
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
