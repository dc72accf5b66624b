import { z } from "zod";
import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { Endpoint } from "../../../api/endpoint.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { DataProducer, PreRequest } from "../../../api/request-control.js";
import type { LlmRequest } from "../../../api/request.js";
import type { SchedulingResult } from "../../../api/scheduling.js";
import { parameters } from "../../params.js";
import { AVERAGE_CHARACTERS_PER_TOKEN, BlockHasher, chainSeed } from "../hashing.js";
import { PrefixIndexer } from "../indexer.js";
import { PREFIX_CACHE_MATCH_INFO, prefixMatchKey } from "../match-info.js";

/** APPROX_PREFIX_CACHE_PRODUCER is the plugin type name. */
export const APPROX_PREFIX_CACHE_PRODUCER = "approx-prefix-cache-producer";

/** PRUNE_INTERVAL_MS is how often endpoints that left the pool are dropped from the index. */
export const PRUNE_INTERVAL_MS = 2 * 60 * 1000;

/** approxPrefixProducerParameters are the reference's parameters and defaults. */
export const approxPrefixProducerParameters = parameters({
  /** Use the server's KV block size and block count (vllm:cache_config_info) when reported. */
  autoTune: z.boolean().default(true),
  blockSizeTokens: z.number().int().positive().default(16),
  maxPrefixBlocksToMatch: z.number().int().positive().default(256),
  /** When > 0, overrides maxPrefixBlocksToMatch as maxPrefixTokensToMatch / block size. */
  maxPrefixTokensToMatch: z.number().int().min(0).default(0),
  lruCapacityPerServer: z.number().int().positive().default(31_250),
});

export type ApproxPrefixProducerParameters = z.output<typeof approxPrefixProducerParameters>;

/**
 * ApproxPrefixCacheProducer keeps an approximate index of each endpoint's prefix cache, built
 * from its own routing decisions. Before scheduling it hashes the prompt into chained blocks and
 * records how many leading blocks each endpoint holds; after scheduling (PreRequest) it adds the
 * blocks to the chosen endpoint (and to a "prefill" profile's endpoint in P/D setups).
 */
export class ApproxPrefixCacheProducer implements DataProducer, PreRequest {
  readonly typedName: TypedName;
  readonly produces = [PREFIX_CACHE_MATCH_INFO] as const;
  readonly indexer = new PrefixIndexer();
  private readonly blockHasher: BlockHasher;
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(
    name: string,
    readonly params: ApproxPrefixProducerParameters,
    private readonly handle: EppPluginHandle,
  ) {
    this.typedName = { type: APPROX_PREFIX_CACHE_PRODUCER, name };
    this.blockHasher = new BlockHasher(handle.hasher);
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
  }

  /** blockSizeTokens is the server's block size when auto-tuned and reported, else the configured one. */
  blockSizeFor(endpoints: readonly Endpoint[]): number {
    const reported = this.params.autoTune ? (endpoints[0]?.lastMetrics?.cacheBlockSize ?? 0) : 0;
    return reported > 0 ? reported : this.params.blockSizeTokens;
  }

  prepareRequestData(request: LlmRequest, endpoints: readonly Endpoint[]): void {
    const blockSizeTokens = this.blockSizeFor(endpoints);
    const blockBytes = blockSizeTokens * AVERAGE_CHARACTERS_PER_TOKEN;
    const { maxPrefixTokensToMatch, maxPrefixBlocksToMatch } = this.params;
    const maxBlocks =
      maxPrefixTokensToMatch > 0
        ? Math.max(1, Math.floor(maxPrefixTokensToMatch / blockSizeTokens))
        : maxPrefixBlocksToMatch;
    const prompt = request.promptBytes(maxBlocks * blockBytes);
    const seed = chainSeed(this.handle.hasher, request.targetModel, request.cacheSalt);
    const hashes = this.blockHasher.hashes(prompt, blockBytes, maxBlocks, seed);
    const matches = hashes.length > 0 ? this.indexer.matchLongestPrefix(hashes) : new Map<string, number>();
    request.state.write(prefixMatchKey, { hashes, totalBlocks: hashes.length, blockSizeTokens, matches });
  }

  preRequest(request: LlmRequest, result: SchedulingResult, target: Endpoint): void {
    const info = request.state.read(prefixMatchKey);
    if (!info || info.hashes.length === 0) return;
    this.indexer.add(target.metadata.key, info.hashes, this.capacityOf(target));
    const prefill = result.profileResults.get("prefill")?.targetEndpoints[0];
    if (prefill && prefill !== target) this.indexer.add(prefill.metadata.key, info.hashes, this.capacityOf(prefill));
  }

  private capacityOf(endpoint: Endpoint): number {
    const blocks = this.params.autoTune ? (endpoint.lastMetrics?.cacheNumBlocks ?? 0) : 0;
    return blocks > 0 ? blocks : this.params.lruCapacityPerServer;
  }

  /** prune drops endpoints discovery no longer lists. */
  prune(): void {
    const live = new Set(this.handle.endpoints().map((e) => e.metadata.key));
    this.indexer.prune(live);
  }

  close(): void {
    clearInterval(this.pruneTimer);
  }
}

/** approxPrefixCacheProducerType registers approx-prefix-cache-producer. */
export const approxPrefixCacheProducerType: PluginTypeSpec<ApproxPrefixProducerParameters, EppPluginHandle> = {
  type: APPROX_PREFIX_CACHE_PRODUCER,
  description:
    "Approximate prefix-cache index: chained xxhash64 prompt blocks, per-endpoint LRU; feeds prefix-cache-scorer.",
  stability: "stable",
  extensionPoints: ["DataProducer", "PreRequest"],
  parameters: approxPrefixProducerParameters,
  create: (name, p, handle) => ok(new ApproxPrefixCacheProducer(name, p, handle)),
};
