import type { ExtProcTransport, ExtProcTransportOptions, TransportKind } from "./transport.js";

// The one place that knows every transport, apart from the seam (transport.ts) they implement.

/** openTransport creates an unbound transport; connect-node is loaded only when asked for. */
export async function openTransport(kind: TransportKind, options: ExtProcTransportOptions): Promise<ExtProcTransport> {
  if (kind === "connect") {
    const { ConnectNodeTransport } = await import("./connect.js");
    return new ConnectNodeTransport(options);
  }
  const { GrpcJsTransport } = await import("./grpc.js");
  return new GrpcJsTransport(options);
}
