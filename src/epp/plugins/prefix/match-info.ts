import { StateKey } from "../../../plugin/cycle-state.js";

/** PREFIX_CACHE_MATCH_INFO is the data key the prefix producer fills and the prefix scorer reads. */
export const PREFIX_CACHE_MATCH_INFO = "PrefixCacheMatchInfo";

/** PrefixMatchInfo is one request's prefix lookup: its block hashes and the matched blocks per endpoint key. */
export interface PrefixMatchInfo {
  readonly hashes: readonly bigint[];
  readonly totalBlocks: number;
  readonly blockSizeTokens: number;
  readonly matches: ReadonlyMap<string, number>;
}

/** prefixMatchKey is where the match info lives in a request's CycleState. */
export const prefixMatchKey = new StateKey<PrefixMatchInfo>(PREFIX_CACHE_MATCH_INFO);
