import { z } from "zod";
import { ok } from "../../../common/result.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import type { RequestView } from "../../api/inference-message.js";
import type { CandidateModel, ModelScorer } from "../../api/model-selection.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";

/** COST_SCORER is the plugin type name. */
export const COST_SCORER = "cost-scorer";

/** costScorerParameters: the candidate attribute holding a price. */
export const costScorerParameters = z
  .strictObject({
    /** Candidate attribute with the price (any unit, the same for all models). */
    attribute: z.string().min(1).default("price"),
  })
  .default({ attribute: "price" });

export type CostScorerParameters = z.infer<typeof costScorerParameters>;

function priceOf(m: CandidateModel, attribute: string): number | undefined {
  const p = m.attributes[attribute];
  return typeof p === "number" && Number.isFinite(p) && p >= 0 ? p : undefined;
}

/**
 * CostScorer prefers cheaper models: score = cheapest price / model price, so the cheapest
 * candidate scores 1 and one twice its price 0.5 (free models score 1). Candidates without a
 * price score 0.
 */
export class CostScorer implements ModelScorer {
  readonly typedName: TypedName;

  constructor(
    name: string,
    private readonly params: CostScorerParameters,
  ) {
    this.typedName = { type: COST_SCORER, name };
  }

  scoreModels(_request: RequestView, candidates: readonly CandidateModel[]): ReadonlyMap<string, number> {
    const prices = candidates.map((m) => priceOf(m, this.params.attribute));
    const known = prices.filter((p): p is number => p !== undefined);
    const cheapest = known.length > 0 ? Math.min(...known) : 0;
    const scores = new Map<string, number>();
    candidates.forEach((m, i) => {
      const p = prices[i];
      if (p === undefined) scores.set(m.name, 0);
      else scores.set(m.name, p === 0 ? 1 : cheapest / p);
    });
    return scores;
  }
}

/** costScorerType registers cost-scorer. */
export const costScorerType: PluginTypeSpec<CostScorerParameters, BbrPluginHandle> = {
  type: COST_SCORER,
  description: "Model-selector scorer: cheapest candidate scores 1, others cheapest/price.",
  stability: "beta",
  extensionPoints: ["ModelScorer"],
  parameters: costScorerParameters,
  create: (name, params) => ok(new CostScorer(name, params)),
};
