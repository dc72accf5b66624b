import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parametersJsonSchema } from "../../plugin/describe.js";
import { IN_TREE_TOMBSTONES, IN_TREE_TYPES, newInTreeRegistry } from "./in-tree.js";

const DOCS = readFileSync(join(import.meta.dirname, "../../../docs/plugins.md"), "utf8");

describe("in-tree registry", () => {
  it("registers every built-in type and tombstone", () => {
    const registry = newInTreeRegistry();
    expect(registry.types().map((t) => t.type)).toEqual(IN_TREE_TYPES.map((t) => t.type));
    expect(registry.tombstones()).toEqual(IN_TREE_TOMBSTONES);
  });

  it.each(IN_TREE_TYPES.map((t) => [t.type, t] as const))("%s is documented and has a JSON Schema", (type, spec) => {
    expect(DOCS).toContain(`\`${type}\``);
    const readme = join(import.meta.dirname, type, "README.md");
    if (existsSync(readme)) expect(readFileSync(readme, "utf8")).toContain(`**Type:** \`${type}\``);
    const schema = parametersJsonSchema(spec);
    expect(schema["description"] ?? "").not.toMatch(/not representable/);
    expect(schema["type"]).toBe("object");
    if (spec.stability === "alpha") expect(DOCS).toContain(`gate \`${spec.featureGate}\``);
  });
});
