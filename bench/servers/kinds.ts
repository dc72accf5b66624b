/**
 * SERVER_KINDS are the servers the bench can compare, each product next to its transport's
 * no-op: BBR on both transports, and the EPP (default plugins, 16 static endpoints) on grpc-js.
 */
export const SERVER_KINDS = ["bbr", "noop-grpc", "bbr-connect", "noop-connect", "epp"] as const;

/** DEFAULT_SERVER_KINDS run when --servers is not given (the EPP only when asked for). */
export const DEFAULT_SERVER_KINDS: readonly ServerKind[] = ["bbr", "noop-grpc", "bbr-connect", "noop-connect"];

/** ServerKind names a server the bench compares (see server-main.ts). */
export type ServerKind = (typeof SERVER_KINDS)[number];

/** isBbr is true for the servers that run BBR (and so must set the model header). */
export function isBbr(kind: ServerKind): boolean {
  return kind === "bbr" || kind === "bbr-connect";
}

/** isEpp is true for the server that runs the EPP (and so must name a destination endpoint). */
export function isEpp(kind: ServerKind): boolean {
  return kind === "epp";
}

/**
 * floorOf is the no-op a server is measured against: its own transport's, so a ratio is what
 * the product adds over the least a processor on that library can do. The connect-node no-op is
 * measured against the grpc-js one, which says what the library itself costs.
 */
export function floorOf(kind: ServerKind): ServerKind | undefined {
  switch (kind) {
    case "bbr":
    case "epp":
    case "noop-connect":
      return "noop-grpc";
    case "bbr-connect":
      return "noop-connect";
    case "noop-grpc":
      return undefined;
  }
}
