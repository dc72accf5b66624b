/**
 * LatencyParams are the simulated GPU's costs, in simulated milliseconds. Defaults are in the
 * range published for a 7-8B model on one H100 (TTFT 60-120 ms for 256 prompt tokens, ITL
 * 10-15 ms), so queueing and cache hits change latency by amounts a scheduler can see.
 */
export interface LatencyParams {
  /** Fixed cost of a prefill step, paid even when the whole prompt is cached. */
  readonly prefillOverheadMs: number;
  /** Cost of each prompt token that is not in the prefix cache. */
  readonly prefillMsPerToken: number;
  /** Time between two output tokens with one running sequence. */
  readonly interTokenMs: number;
  /**
   * Slow-down with a full batch: latency is multiplied by 1 at one running sequence and by this
   * factor at max-num-seqs, linearly in between (llm-d-inference-sim's time-factor-under-load).
   */
  readonly loadFactorAtMax: number;
  readonly maxNumSeqs: number;
}

/** loadFactor is the latency multiplier with `running` sequences in the batch (at least 1). */
export function loadFactor(running: number, p: LatencyParams): number {
  if (p.maxNumSeqs <= 1 || running <= 1) return 1;
  const share = Math.min(running - 1, p.maxNumSeqs - 1) / (p.maxNumSeqs - 1);
  return 1 + (p.loadFactorAtMax - 1) * share;
}

/** prefillMs is the simulated time from admission to the first token. */
export function prefillMs(uncachedTokens: number, running: number, p: LatencyParams): number {
  return (p.prefillOverheadMs + Math.max(0, uncachedTokens) * p.prefillMsPerToken) * loadFactor(running, p);
}

/** interTokenMs is the simulated time to the next output token with `running` sequences. */
export function interTokenMs(running: number, p: LatencyParams): number {
  return p.interTokenMs * loadFactor(running, p);
}
