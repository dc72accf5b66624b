import { z } from "zod";

/** modelMapping is one base model and the LoRA adapters served on it. */
export const modelMapping = z.strictObject({
  baseModel: z
    .string()
    .transform((s) => s.trim())
    .pipe(z.string().min(1, "baseModel must not be empty")),
  // YAML scalars are coerced to strings ("- 1" is adapter "1"), as GIE does.
  adapters: z
    .array(z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v).trim()))
    .default([])
    .transform((list) => list.filter((a) => a !== "")),
});

export type ModelMapping = z.infer<typeof modelMapping>;

/**
 * AdaptersStore answers "which base model serves this model name?". Lookup order (after
 * trimming): an adapter gives its base model; a known base model gives itself; anything else
 * gives "". Snapshots are immutable and swapped whole, so readers never see a half update.
 */
export class AdaptersStore {
  private baseByAdapter = new Map<string, string>();
  private baseModels = new Set<string>();

  /** replace swaps in a new set of mappings. Returns adapters claimed by more than one base. */
  replace(mappings: readonly ModelMapping[]): string[] {
    const baseByAdapter = new Map<string, string>();
    const baseModels = new Set<string>();
    const conflicts: string[] = [];
    for (const { baseModel, adapters } of mappings) {
      baseModels.add(baseModel);
      for (const adapter of adapters) {
        const previous = baseByAdapter.get(adapter);
        if (previous !== undefined && previous !== baseModel) conflicts.push(adapter);
        baseByAdapter.set(adapter, baseModel); // the last mapping wins, as in GIE
      }
    }
    this.baseByAdapter = baseByAdapter;
    this.baseModels = baseModels;
    return conflicts;
  }

  /** baseModelOf returns the base model of a model or adapter name, or "". */
  baseModelOf(name: string): string {
    const key = name.trim();
    return this.baseByAdapter.get(key) ?? (this.baseModels.has(key) ? key : "");
  }

  /** size is the number of adapters and base models known. */
  get size(): { adapters: number; baseModels: number } {
    return { adapters: this.baseByAdapter.size, baseModels: this.baseModels.size };
  }
}
