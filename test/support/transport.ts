import { TRANSPORT_KINDS, type TransportKind } from "../../src/extproc/transport/transport.js";

/**
 * testTransport is the transport the ext_proc test servers run on: EXTPROC_TRANSPORT (set by
 * the vitest project that re-runs the stream suites on connect-node), else grpc-js.
 */
export function testTransport(): TransportKind {
  const asked = process.env["EXTPROC_TRANSPORT"] ?? "grpc";
  const kind = TRANSPORT_KINDS.find((k) => k === asked);
  if (!kind) throw new Error(`EXTPROC_TRANSPORT=${asked}: choose ${TRANSPORT_KINDS.join(" or ")}`);
  return kind;
}
