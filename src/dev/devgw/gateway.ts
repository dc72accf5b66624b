import { Agent, createServer as createHttp1Server } from "node:http";
import { createServer as createH2cServer } from "node:http2";
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from "node:net";
import type { Logger } from "../../common/logger.js";
import type { DevgwConfig } from "./config.js";
import { Exchange, type GatewayContext } from "./exchange.js";
import { ProcessorClient } from "./processor-client.js";
import { RouteTable } from "./router.js";

/** The HTTP/2 connection preface a prior-knowledge h2c client opens with. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** BoundListener is a listener's name and the port it got. */
export interface BoundListener {
  readonly name: string;
  readonly port: number;
}

/**
 * DevGateway is the development data plane: HTTP/1.1 and h2c (prior knowledge) on each
 * listener's one port, the listener's ext_proc filter chain, the route table and the pools.
 * It is a tool for local runs and tests, not a production proxy.
 */
export class DevGateway {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  readonly listeners: BoundListener[] = [];

  private constructor(
    private readonly processors: Map<string, ProcessorClient>,
    private readonly agent: Agent,
  ) {}

  static async start(config: DevgwConfig, logger: Logger): Promise<DevGateway> {
    const processors = new Map(config.processors.map((p) => [p.name, new ProcessorClient(p)]));
    const agent = new Agent({ keepAlive: true, maxSockets: 256 });
    const gw = new DevGateway(processors, agent);
    const routes = new RouteTable(config);
    try {
      for (const l of config.listeners) {
        const chain = (l.processors ?? config.processors.map((p) => p.name)).map((n) => processors.get(n)!);
        const ctx: GatewayContext = { routes, processors: chain, agent, logger: logger.child({ listener: l.name }) };
        const port = await gw.listen(ctx, l.address, l.port);
        gw.listeners.push({ name: l.name, port });
      }
    } catch (e) {
      await gw.stop();
      throw e;
    }
    return gw;
  }

  private async listen(ctx: GatewayContext, address: string, port: number): Promise<number> {
    const handler = (req: Parameters<typeof newExchange>[1], res: Parameters<typeof newExchange>[2]) =>
      newExchange(ctx, req, res);
    const h1 = createHttp1Server({ keepAliveTimeout: 60_000, requestTimeout: 0 }, handler);
    const h2 = createH2cServer({}, handler);
    // One port for both protocols: peek at the first bytes and hand the socket to the HTTP/1.1
    // or the h2c server.
    const server = createNetServer((socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.once("data", (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        const n = Math.min(first.length, H2_PREFACE.length);
        const isH2 = first.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
        (isH2 ? h2 : h1).emit("connection", socket);
        process.nextTick(() => socket.resume());
      });
      socket.on("error", () => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, address, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  /** stop closes the listeners, open connections and processor channels. */
  async stop(): Promise<void> {
    await Promise.all(
      this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))).concat(this.destroySockets()),
    );
    this.agent.destroy();
    for (const p of this.processors.values()) p.close();
  }

  private destroySockets(): Promise<void>[] {
    for (const s of this.sockets) s.destroy();
    return [];
  }
}

function newExchange(
  ctx: GatewayContext,
  req: ConstructorParameters<typeof Exchange>[1],
  res: ConstructorParameters<typeof Exchange>[2],
): void {
  new Exchange(ctx, req, res).start();
}
