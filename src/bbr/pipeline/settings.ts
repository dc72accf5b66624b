import type { Logger } from "../../common/logger.js";
import type { Chains } from "./chain.js";
import type { BbrMetrics } from "../metrics.js";

/** OWNED_HEADERS_DEFAULT are the routing headers only BBR may set. */
export const OWNED_HEADERS_DEFAULT = ["X-Gateway-Model-Name", "X-Gateway-Base-Model-Name"] as const;

/** BbrSettings is one immutable snapshot of what a stream runs with. */
export interface BbrSettings {
  readonly chains: Chains;
  /**
   * Headers owned by BBR: a client-sent value is always overwritten by BBR or removed, so a
   * client can never pick its own route.
   */
  readonly ownedHeaders: readonly string[];
  /** Largest request body accepted; larger ones are answered 413 without buffering more. */
  readonly maxBodyBytes: number;
  /** Largest response body buffered for ResponseBodyProcessors; beyond it the body streams on unprocessed. */
  readonly maxResponseBufferBytes: number;
  readonly maxHeaderValueBytes: number;
  /** Body mode assumed when Envoy sends no protocol_config: FULL_DUPLEX_STREAMED if true, else BUFFERED. */
  readonly streamingByDefault: boolean;
}

/** BbrEnvironment is what every stream processor shares. */
export interface BbrEnvironment {
  /** settings returns the current snapshot; a stream keeps the one it started with. */
  settings(): BbrSettings;
  readonly metrics: BbrMetrics;
  readonly logger: Logger;
}
