import { createHash } from "node:crypto";
import { z } from "zod";
import { ok } from "../../../common/result.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import type { ModelSelector } from "../../api/extension-points.js";
import type { MutableRequest } from "../../api/inference-message.js";
import { applyModelChoice, currentModel } from "../../api/model-selection.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";

/** WEIGHTED_SPLIT is the plugin type name. */
export const WEIGHTED_SPLIT = "weighted-split";

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** weightedSplitParameters: targets with weights (sum > 0), optional sticky header and trigger list. */
export const weightedSplitParameters = z
  .strictObject({
    /** Models to split across, e.g. a stable version at 90 and a canary at 10. */
    targets: z
      .array(
        z.strictObject({
          model: z.string().min(1, "model must not be empty"),
          weight: z.number().finite().nonnegative("weight must be >= 0"),
        }),
      )
      .min(1, "at least one target is required"),
    /** Requests with the same value of this header (e.g. x-user-id) always get the same target. */
    stickyHeader: z.string().regex(HEADER_NAME, "stickyHeader must be a valid HTTP header name").optional(),
    /** Only split requests whose current model is one of these; default: every request. */
    models: z.array(z.string()).min(1).optional(),
    /** Write the target into the body's `model` (otherwise only the header changes). */
    rewriteBody: z.boolean().default(true),
  })
  .superRefine((p, ctx) => {
    if (p.targets.reduce((sum, t) => sum + t.weight, 0) <= 0) {
      ctx.addIssue({ code: "custom", path: ["targets"], message: "target weights must sum to more than 0" });
    }
    const seen = new Set<string>();
    for (const [i, t] of p.targets.entries()) {
      if (seen.has(t.model))
        ctx.addIssue({ code: "custom", path: ["targets", i, "model"], message: `duplicate target "${t.model}"` });
      seen.add(t.model);
    }
  });

export type WeightedSplitParameters = z.infer<typeof weightedSplitParameters>;

/** Random is a source of numbers in [0,1); tests pass a fixed one. */
export type Random = () => number;

/**
 * stickyPoint maps a key to a stable point in [0,1): the first 48 bits of SHA-256 over the
 * plugin name and the key. Salting with the name keeps independent splits independent, so the
 * same users are not always the canary group of every experiment.
 */
export function stickyPoint(salt: string, key: string): number {
  const digest = createHash("sha256").update(salt).update("\0").update(key).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * WeightedSplit sends traffic to targets in proportion to their weights: by a hash of the
 * sticky header when the request has it (same key, same target while weights stay), at random
 * otherwise. Zero-weight targets never receive traffic (a drained version).
 */
export class WeightedSplit implements ModelSelector {
  readonly typedName: TypedName;
  private readonly cumulative: number[];
  private readonly total: number;
  private readonly models: ReadonlySet<string> | undefined;

  constructor(
    name: string,
    private readonly params: WeightedSplitParameters,
    private readonly random: Random = Math.random,
  ) {
    this.typedName = { type: WEIGHTED_SPLIT, name };
    let sum = 0;
    this.cumulative = params.targets.map((t) => (sum += t.weight));
    this.total = sum;
    this.models = params.models === undefined ? undefined : new Set(params.models);
  }

  selectModel(request: MutableRequest): void {
    if (this.models && !this.models.has(currentModel(request) ?? "")) return;
    const key = this.params.stickyHeader === undefined ? undefined : request.headers.get(this.params.stickyHeader);
    const point = key === undefined || key === "" ? this.random() : stickyPoint(this.typedName.name, key);
    applyModelChoice(request, this.targetAt(point), { rewriteBody: this.params.rewriteBody });
  }

  /** targetAt maps a point in [0,1) to the target whose weight interval holds it. */
  targetAt(point: number): string {
    const x = point * this.total;
    for (let i = 0; i < this.cumulative.length; i++) {
      if (x < this.cumulative[i]!) return this.params.targets[i]!.model;
    }
    // Only reachable through rounding at the very top: the last target with weight.
    const last = this.params.targets.findLast((t) => t.weight > 0)!;
    return last.model;
  }
}

/** weightedSplitType registers weighted-split. */
export const weightedSplitType: PluginTypeSpec<WeightedSplitParameters, BbrPluginHandle> = {
  type: WEIGHTED_SPLIT,
  description: "Splits traffic across model versions by weight (canaries); sticky per header value by hashing.",
  stability: "beta",
  extensionPoints: ["ModelSelector"],
  parameters: weightedSplitParameters,
  create: (name, params) => ok(new WeightedSplit(name, params)),
};
