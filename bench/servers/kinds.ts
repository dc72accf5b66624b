/** SERVER_KINDS are the servers the bench compares, each BBR next to its transport's no-op. */
export const SERVER_KINDS = ["bbr", "noop-grpc", "bbr-connect", "noop-connect"] as const;

/** ServerKind names a server the bench compares (see server-main.ts). */
export type ServerKind = (typeof SERVER_KINDS)[number];

/** isBbr is true for the servers that run BBR (and so must set the model header). */
export function isBbr(kind: ServerKind): boolean {
  return kind === "bbr" || kind === "bbr-connect";
}

/**
 * floorOf is the no-op a server is measured against: its own transport's, so a ratio is what
 * BBR adds over the least a processor on that library can do. The connect-node no-op is
 * measured against the grpc-js one, which says what the library itself costs.
 */
export function floorOf(kind: ServerKind): ServerKind | undefined {
  switch (kind) {
    case "bbr":
    case "noop-connect":
      return "noop-grpc";
    case "bbr-connect":
      return "noop-connect";
    case "noop-grpc":
      return undefined;
  }
}
