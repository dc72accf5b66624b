// An example plugin module: choose a model from the length of the prompt.
//
// Load it by listing this file under `modules:` in a BBR config (see config.yaml); BBR imports
// it and calls register(registry). Node 24 runs TypeScript files directly (type stripping), so
// no build step is needed for a module like this one: use `import type` for types and no
// enums or namespaces.

import {
  applyModelChoice,
  type BbrPluginHandle,
  currentModel,
  type ModelSelector,
  type MutableRequest,
  type PluginRegistrar,
  type RequestView,
} from "inference-bbr";
import { z } from "zod";

export const PROMPT_LENGTH_ROUTER = "prompt-length-router";

const parameters = z.strictObject({
  /** Tiers in increasing maxChars: the first tier the prompt fits in chooses the model. */
  tiers: z
    .array(z.strictObject({ maxChars: z.number().int().positive(), model: z.string().min(1) }))
    .min(1)
    .refine((t) => t.every((tier, i) => i === 0 || tier.maxChars > t[i - 1]!.maxChars), "tiers must grow in maxChars"),
  /** Model for prompts longer than every tier. */
  longest: z.string().min(1),
  /** Only route requests asking for one of these models (e.g. "auto"); default: all. */
  models: z.array(z.string()).optional(),
});

type Parameters = z.infer<typeof parameters>;

/** promptChars counts the characters of the prompt text: chat messages, prompt, or input. */
export function promptChars(request: RequestView): number {
  const body = request.body.json();
  if (!body) return 0;
  let chars = 0;
  const count = (v: unknown): void => {
    if (typeof v === "string") chars += v.length;
    else if (Array.isArray(v)) for (const item of v) count(item);
    else if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      // Chat content parts: {type: "text", text}; messages: {role, content}.
      count(o["content"] ?? o["text"]);
    }
  };
  count(body["messages"]);
  count(body["prompt"]);
  count(body["input"]);
  return chars;
}

class PromptLengthRouter implements ModelSelector {
  readonly typedName: { readonly type: string; readonly name: string };
  // Plain fields, not constructor parameter properties: Node's type stripping cannot run those.
  private readonly params: Parameters;

  constructor(name: string, params: Parameters) {
    this.typedName = { type: PROMPT_LENGTH_ROUTER, name };
    this.params = params;
  }

  selectModel(request: MutableRequest): void {
    if (this.params.models && !this.params.models.includes(currentModel(request) ?? "")) return;
    const chars = promptChars(request);
    const tier = this.params.tiers.find((t) => chars <= t.maxChars);
    applyModelChoice(request, tier?.model ?? this.params.longest, { rewriteBody: true });
  }
}

/** register is what BBR calls when it loads this module. */
export function register(registry: PluginRegistrar<BbrPluginHandle>): void {
  // register returns a Result; BBR reports a refused registration (a duplicate type, say) as
  // a config error pointing at this module, so there is nothing to do with it here.
  registry.register({
    type: PROMPT_LENGTH_ROUTER,
    description: "Example: routes by prompt length (short prompts to a small model).",
    stability: "beta",
    extensionPoints: ["ModelSelector"],
    parameters,
    create: (name, params: Parameters) => ({ ok: true, value: new PromptLengthRouter(name, params) }),
  });
}
