import { z } from "zod";
import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { Endpoint } from "../../../api/endpoint.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { DataConsumer } from "../../../api/request-control.js";
import type { LlmRequest } from "../../../api/request.js";
import type { Scorer } from "../../../api/scheduling.js";
import { parameters } from "../../params.js";
import { AVERAGE_CHARACTERS_PER_TOKEN } from "../hashing.js";
import { PREFIX_CACHE_MATCH_INFO, prefixMatchKey } from "../match-info.js";

/** PREFIX_CACHE_SCORER is the plugin type name. */
export const PREFIX_CACHE_SCORER = "prefix-cache-scorer";

/**
 * The scorer itself takes no parameters (GIE ≥ v1.5). The index parameters older GIE versions
 * and the GIE docs put here are accepted and handed to the auto-created
 * approx-prefix-cache-producer, instead of being silently ignored.
 */
const schema = parameters({
  autoTune: z.boolean().optional(),
  blockSizeTokens: z.number().int().positive().optional(),
  /** Block size in characters (GIE v1.1–v1.3 `blockSize`, v1.0 `hashBlockSize`). */
  blockSize: z.number().int().positive().optional(),
  hashBlockSize: z.number().int().positive().optional(),
  maxPrefixBlocksToMatch: z.number().int().positive().optional(),
  lruCapacityPerServer: z.number().int().positive().optional(),
});

type LegacyParameters = z.output<typeof schema>;

/** PrefixCacheScorer scores matchedBlocks / totalBlocks from the request's prefix match info (0 without it). */
export class PrefixCacheScorer implements Scorer, DataConsumer {
  readonly typedName: TypedName;
  readonly category = "affinity" as const;
  readonly consumes = [PREFIX_CACHE_MATCH_INFO] as const;

  constructor(
    name: string,
    private readonly legacy: LegacyParameters,
  ) {
    this.typedName = { type: PREFIX_CACHE_SCORER, name };
  }

  score(request: LlmRequest, endpoints: readonly Endpoint[]): Float64Array {
    const scores = new Float64Array(endpoints.length);
    const info = request.state.read(prefixMatchKey);
    if (!info || info.totalBlocks === 0 || info.matches.size === 0) return scores;
    for (let i = 0; i < endpoints.length; i++) {
      const matched = info.matches.get(endpoints[i]!.metadata.key);
      if (matched !== undefined) scores[i] = matched / info.totalBlocks;
    }
    return scores;
  }

  defaultProducerParameters(key: string): unknown {
    if (key !== PREFIX_CACHE_MATCH_INFO) return undefined;
    const l = this.legacy;
    const chars = l.blockSize ?? l.hashBlockSize;
    const out: Record<string, unknown> = {};
    if (l.autoTune !== undefined) out["autoTune"] = l.autoTune;
    if (l.blockSizeTokens !== undefined) out["blockSizeTokens"] = l.blockSizeTokens;
    else if (chars !== undefined)
      out["blockSizeTokens"] = Math.max(1, Math.round(chars / AVERAGE_CHARACTERS_PER_TOKEN));
    if (l.maxPrefixBlocksToMatch !== undefined) out["maxPrefixBlocksToMatch"] = l.maxPrefixBlocksToMatch;
    if (l.lruCapacityPerServer !== undefined) out["lruCapacityPerServer"] = l.lruCapacityPerServer;
    return Object.keys(out).length === 0 ? undefined : out;
  }
}

/** prefixCacheScorerType registers prefix-cache-scorer. */
export const prefixCacheScorerType: PluginTypeSpec<LegacyParameters, EppPluginHandle> = {
  type: PREFIX_CACHE_SCORER,
  description: "Scores the share of the prompt's leading blocks an endpoint is believed to cache.",
  stability: "stable",
  extensionPoints: ["Scorer"],
  parameters: schema,
  create: (name, p) => ok(new PrefixCacheScorer(name, p)),
};
