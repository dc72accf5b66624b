import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { ConfigError } from "../../common/config-error.js";
import { type Disposable, watchFile } from "../../common/file-watch.js";
import type { Logger } from "../../common/logger.js";
import { err, ok, type Result } from "../../common/result.js";
import { parseYaml, validateDocument } from "../../plugin/config-phases.js";

/**
 * objectivesFileSchema lists InferenceObjectives without Kubernetes: a name (what clients send
 * in x-gateway-inference-objective) and a priority (negative = sheddable).
 */
export const objectivesFileSchema = z.strictObject({
  objectives: z.array(z.strictObject({ name: z.string().min(1), priority: z.number().int().default(0) })).default([]),
});

/**
 * parseObjectivesFile validates an objectives document into name → priority, with the config
 * loaders' parse and validate phases (and the EPP config's wording of unknown keys).
 */
export function parseObjectivesFile(text: string, source: string): Result<Map<string, number>, ConfigError> {
  const raw = parseYaml(text);
  if (!raw.ok) return err({ source, issues: raw.error });
  const parsed = validateDocument(objectivesFileSchema, raw.value);
  if (!parsed.ok) return err({ source, issues: parsed.error });
  const out = new Map<string, number>();
  for (const [i, o] of parsed.value.objectives.entries()) {
    if (out.has(o.name))
      return err({ source, issues: [{ path: `objectives[${i}].name`, message: `duplicate objective "${o.name}"` }] });
    out.set(o.name, o.priority);
  }
  return ok(out);
}

/**
 * ObjectiveStore answers the priority of an objective name: 0 when absent or unknown, as the
 * reference does. Backed by an optional watched file; a bad edit keeps the previous table.
 */
export class ObjectiveStore {
  private priorities: ReadonlyMap<string, number>;
  private watch: Disposable | undefined;

  constructor(initial: ReadonlyMap<string, number> = new Map()) {
    this.priorities = initial;
  }

  /** fromFile loads and watches an objectives file. */
  static async fromFile(path: string, logger: Logger): Promise<Result<ObjectiveStore, ConfigError>> {
    const load = async (): Promise<Result<Map<string, number>, ConfigError>> => {
      try {
        return parseObjectivesFile(await readFile(path, "utf8"), path);
      } catch (e) {
        return err({
          source: path,
          issues: [{ path: "", message: `cannot read objectives file: ${(e as Error).message}` }],
        });
      }
    };
    const first = await load();
    if (!first.ok) return err(first.error);
    const store = new ObjectiveStore(first.value);
    store.watch = watchFile(path, () => {
      void load().then((next) => {
        if (next.ok) store.priorities = next.value;
        else
          logger.error(
            { source: path, issues: next.error.issues },
            "objectives file rejected; keeping the previous objectives",
          );
      });
    });
    return ok(store);
  }

  /** priorityOf returns the objective's priority (0 when unnamed or unknown). */
  priorityOf(name: string | undefined): number {
    return name === undefined ? 0 : (this.priorities.get(name) ?? 0);
  }

  stop(): void {
    this.watch?.dispose();
  }
}
