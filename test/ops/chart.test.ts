import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isMap, type Node, parse, parseDocument, type YAMLMap } from "yaml";
import { bbrConfigSchema } from "../../src/bbr/config/schema.js";
import { BBR_FLAGS } from "../../src/bbr/server/options.js";
import { DEFAULT_TRANSPORT, TRANSPORT_KINDS } from "../../src/extproc/transport/transport.js";

// There is no helm binary here, so this checks what can be checked without rendering: the chart's
// metadata, that every value a template reads exists and is documented, that provider resources
// only render for their provider, that control blocks balance, and that the default config is a
// valid bbr config. `helm lint`/`helm template` and a real cluster are not exercised (see README).
const CHART = join(import.meta.dirname, "../../charts/body-based-routing");
const PROVIDERS = ["istio", "gke", "envoy-gateway", "kgateway"] as const;
const PROVIDER_API_GROUPS = [
  "networking.istio.io",
  "networking.gke.io",
  "gateway.envoyproxy.io",
  "gateway.kgateway.dev",
];

const read = (path: string) => readFileSync(join(CHART, path), "utf8");
const values = parse(read("values.yaml")) as Record<string, unknown>;
const templates = readdirSync(join(CHART, "templates")).map((name) => ({ name, text: read(`templates/${name}`) }));

/** lookup walks a dotted path through values; a key that exists with an empty value counts. */
function lookup(root: unknown, path: string[]): boolean {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object" || Array.isArray(node) || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

/** valueReferences finds `.Values.a.b` and `$var.c` (with `$var := .Values.a`) in a template. */
function valueReferences(text: string): string[][] {
  const refs: string[][] = [];
  const variables = new Map<string, string[]>();
  for (const m of text.matchAll(/(\$[A-Za-z]\w*)\s*:=\s*\.Values((?:\.[A-Za-z_][\w-]*)+)/g)) {
    variables.set(m[1]!, m[2]!.slice(1).split("."));
  }
  for (const m of text.matchAll(/\.Values((?:\.[A-Za-z_][\w-]*)+)/g)) refs.push(m[1]!.slice(1).split("."));
  for (const m of text.matchAll(/(\$[A-Za-z]\w*)((?:\.[A-Za-z_][\w-]*)+)/g)) {
    const base = variables.get(m[1]!);
    if (base) refs.push([...base, ...m[2]!.slice(1).split(".")]);
  }
  return refs;
}

/** actions lists the template actions that open or close a block, in order. */
function blockActions(text: string): ("open" | "close" | "else")[] {
  const out: ("open" | "close" | "else")[] = [];
  for (const m of text.matchAll(/\{\{-?\s*(if|range|with|define|block|else|end)\b/g)) {
    out.push(m[1] === "end" ? "close" : m[1] === "else" ? "else" : "open");
  }
  return out;
}

describe("Chart.yaml", () => {
  const chart = parse(read("Chart.yaml")) as Record<string, unknown>;
  it("is a Helm 3 application chart named body-based-routing with semver versions", () => {
    expect(chart).toMatchObject({ apiVersion: "v2", name: "body-based-routing", type: "application" });
    expect(chart["version"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(typeof chart["appVersion"]).toBe("string");
  });
});

describe("values.yaml", () => {
  it.each(templates.map((t) => [t.name, t.text] as const))("holds every value %s reads", (_name, text) => {
    const missing = valueReferences(text)
      .filter((path) => !lookup(values, path))
      .map((p) => p.join("."));
    expect(missing).toEqual([]);
  });

  it("documents every key with a comment (keys under a commented map are documented by it)", () => {
    const undocumented: string[] = [];
    const walk = (map: YAMLMap, prefix: string) => {
      map.items.forEach((pair, i) => {
        const key = String((pair.key as Node & { value: unknown }).value);
        const commented = Boolean((pair.key as Node).commentBefore) || (i === 0 && Boolean(map.commentBefore));
        if (isMap(pair.value) && !commented) walk(pair.value, `${prefix}${key}.`);
        else if (!commented) undocumented.push(`${prefix}${key}`);
      });
    };
    walk(parseDocument(read("values.yaml")).contents as YAMLMap, "");
    expect(undocumented).toEqual([]);
  });

  it("defaults provider.name to none and documents every provider", () => {
    expect(lookup(values, ["provider", "name"]) && (values["provider"] as { name: string }).name).toBe("none");
    const comment = read("values.yaml").match(/# -- Which Gateway implementation.*\n.*\n/)?.[0] ?? "";
    for (const p of [...PROVIDERS, "none"]) expect(comment).toContain(p);
  });

  it("ships a default config that bbr's own schema accepts, reading mappings from the mounted ConfigMap", () => {
    const parsed = bbrConfigSchema.safeParse(values["config"]);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    const mapping = parsed.data?.plugins.find((p) => p.type === "base-model-to-header")?.parameters as {
      mappingFile?: string;
    };
    expect(mapping.mappingFile).toBe("/etc/bbr/config/model-mappings.yaml");
    const configmap = templates.find((t) => t.name === "configmap.yaml")!.text;
    expect(configmap).toContain("  config.yaml: |");
    expect(configmap).toContain("  model-mappings.yaml: |");
    expect(templates.find((t) => t.name === "deployment.yaml")!.text).toContain("mountPath: /etc/bbr/config\n");
  });

  it("only passes flags bbr knows", () => {
    const known = new Set(BBR_FLAGS.map((f) => f.name));
    const deployment = templates.find((t) => t.name === "deployment.yaml")!.text;
    const literal = [...deployment.matchAll(/^\s+- --([a-z-]+)/gm)].map((m) => m[1]!);
    expect(literal.length).toBeGreaterThan(5);
    expect(literal.filter((f) => !known.has(f))).toEqual([]);
    expect(Object.keys(values["flags"] as object).filter((f) => !known.has(f))).toEqual([]);
  });
});

describe("templates", () => {
  it.each(templates.map((t) => [t.name, t.text] as const))("%s has balanced control blocks", (_name, text) => {
    let depth = 0;
    for (const action of blockActions(text)) {
      if (action === "open") depth++;
      if (action === "close") depth--;
      if (action === "else") expect(depth).toBeGreaterThan(0);
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
  });

  it("has exactly one template per provider", () => {
    const providerFiles = templates.filter((t) => t.name.startsWith("provider-")).map((t) => t.name);
    expect(providerFiles.sort()).toEqual(PROVIDERS.map((p) => `provider-${p}.yaml`).sort());
  });

  it.each(PROVIDERS)("guards everything in provider-%s.yaml by provider.name", (provider) => {
    const text = templates.find((t) => t.name === `provider-${provider}.yaml`)!.text;
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe(`{{- if eq .Values.provider.name "${provider}" }}`);
    expect(lines.at(-1)).toBe("{{- end }}");
    // The guard's `if` must be the block that the last `end` closes: depth never returns to 0 before.
    const actions = blockActions(text);
    let depth = 0;
    actions.forEach((action, i) => {
      if (action === "open") depth++;
      if (action === "close") depth--;
      if (i < actions.length - 1) expect(depth).toBeGreaterThan(0);
    });
  });

  it("keeps provider API groups out of the provider-independent templates", () => {
    const leaking = templates
      .filter((t) => !t.name.startsWith("provider-") && t.name !== "NOTES.txt")
      .filter((t) => PROVIDER_API_GROUPS.some((g) => t.text.includes(g)))
      .map((t) => t.name);
    expect(leaking).toEqual([]);
  });

  it("renders the Istio ext_proc filter with FULL_DUPLEX_STREAMED bodies, trailers, mode override and a configurable failure mode", () => {
    const istio = templates.find((t) => t.name === "provider-istio.yaml")!.text;
    for (const want of [
      "allow_mode_override: true",
      "failure_mode_allow: {{ .Values.provider.failureModeAllow }}",
      'request_body_mode: {{ include "bbr.bodyMode" $events.requestBody }}',
      'request_trailer_mode: {{ include "bbr.headerMode" $events.requestTrailers }}',
      'response_body_mode: {{ include "bbr.bodyMode" $events.responseBody }}',
      'response_trailer_mode: {{ include "bbr.headerMode" $events.responseTrailers }}',
    ]) {
      expect(istio).toContain(want);
    }
    expect(read("templates/_helpers.tpl")).toContain("{{- if . }}FULL_DUPLEX_STREAMED{{ else }}NONE{{ end }}");
  });

  it("passes transport as --transport, defaulting to bbr's default, one of the transports bbr knows", () => {
    const deployment = templates.find((t) => t.name === "deployment.yaml")!.text;
    expect(deployment).toContain("            - --transport={{ .Values.transport }}\n");
    expect(values["transport"]).toBe(DEFAULT_TRANSPORT);
    expect(TRANSPORT_KINDS).toContain(values["transport"]);
    const comment = read("values.yaml").match(/# -- ext_proc server library.*\n.*\n/)?.[0] ?? "";
    for (const kind of TRANSPORT_KINDS) expect(comment).toContain(kind);
    expect(Object.keys(values["flags"] as object)).not.toContain("transport");
  });

  it("rolls pods on a config change only when hot reload is off", () => {
    const deployment = templates.find((t) => t.name === "deployment.yaml")!.text;
    expect(deployment).toMatch(
      /\{\{- if not \.Values\.configHotReload \}\}\n.*\n\s+checksum\/config: \{\{ include "bbr\.configYaml" \. \| sha256sum \}\}/,
    );
  });
});
