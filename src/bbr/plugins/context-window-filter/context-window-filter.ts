import { z } from "zod";
import { ok } from "../../../common/result.js";
import { StateKey } from "../../../plugin/cycle-state.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import type { RequestView } from "../../api/inference-message.js";
import type { CandidateModel, ModelFilter } from "../../api/model-selection.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";

/** CONTEXT_WINDOW_FILTER is the plugin type name. */
export const CONTEXT_WINDOW_FILTER = "context-window-filter";

/** ESTIMATED_TOKENS is the token estimate the filter compared windows against. */
export const ESTIMATED_TOKENS = new StateKey<number>("context-window-filter/estimated-tokens");

/** contextWindowFilterParameters: the attribute naming a model's window and the estimate's inputs. */
export const contextWindowFilterParameters = z
  .strictObject({
    /** Candidate attribute holding the context window in tokens. */
    attribute: z.string().min(1).default("contextWindow"),
    /** Body bytes per token for the estimate (4 suits English text and JSON framing). */
    bytesPerToken: z.number().positive().default(4),
    /** Body fields whose number is added as room for the answer (the first present counts). */
    outputTokenFields: z.array(z.string().min(1)).default(["max_tokens", "max_completion_tokens", "max_output_tokens"]),
  })
  .default({
    attribute: "contextWindow",
    bytesPerToken: 4,
    outputTokenFields: ["max_tokens", "max_completion_tokens", "max_output_tokens"],
  });

export type ContextWindowFilterParameters = z.infer<typeof contextWindowFilterParameters>;

/**
 * ContextWindowFilter drops candidates whose context window cannot hold the request:
 * estimated tokens = ceil(body bytes / bytesPerToken) + the requested output tokens. The
 * estimate reads the body length, not the text, so it costs nothing per byte. Candidates
 * without the attribute are kept (their window is unknown).
 */
export class ContextWindowFilter implements ModelFilter {
  readonly typedName: TypedName;

  constructor(
    name: string,
    private readonly params: ContextWindowFilterParameters,
  ) {
    this.typedName = { type: CONTEXT_WINDOW_FILTER, name };
  }

  estimateTokens(request: RequestView): number {
    let output = 0;
    if (request.body.kind === "json" && request.body.receivedBytes > 0) {
      for (const field of this.params.outputTokenFields) {
        const v = request.body.field(field);
        if (typeof v === "number" && Number.isFinite(v) && v > 0) {
          output = v;
          break;
        }
      }
    }
    return Math.ceil(request.body.receivedBytes / this.params.bytesPerToken) + Math.ceil(output);
  }

  filterModels(request: RequestView, candidates: readonly CandidateModel[]): readonly CandidateModel[] {
    const needed = this.estimateTokens(request);
    request.cycleState.write(ESTIMATED_TOKENS, needed);
    return candidates.filter((m) => {
      const window = m.attributes[this.params.attribute];
      return typeof window !== "number" || window >= needed;
    });
  }
}

/** contextWindowFilterType registers context-window-filter. */
export const contextWindowFilterType: PluginTypeSpec<ContextWindowFilterParameters, BbrPluginHandle> = {
  type: CONTEXT_WINDOW_FILTER,
  description: "Model-selector filter: drops candidate models whose context window is smaller than the request.",
  stability: "beta",
  extensionPoints: ["ModelFilter"],
  parameters: contextWindowFilterParameters,
  create: (name, params) => ok(new ContextWindowFilter(name, params)),
};
