import { isIP } from "node:net";
import { parseDocument } from "yaml";
import { z } from "zod";
import { type ConfigIssue, formatPath, yamlErrorIssues } from "../../common/config-error.js";
import { err, ok, type Result } from "../../common/result.js";
import { type EndpointMetadata, joinHostPort } from "../api/endpoint.js";

const port = z
  .union([z.number(), z.string().regex(/^\d+$/, "port must be a number").transform(Number)])
  .pipe(z.number().int().min(1, "port must be 1-65535").max(65535, "port must be 1-65535"));

/**
 * endpointEntry is one endpoint of the static file. The shape follows llm-d-router's
 * file-discovery (name, address, port, labels) plus what a pool without Kubernetes cannot
 * otherwise tell: which models and LoRA adapters the endpoint serves and its adapter capacity.
 */
const endpointEntry = z.strictObject({
  name: z.string().min(1).optional(),
  namespace: z.string().min(1).default("default"),
  /** address must be an IP: Envoy's ORIGINAL_DST cluster connects to the destination as given. */
  address: z.string().refine((a) => isIP(a) !== 0, "address must be an IPv4 or IPv6 address"),
  port,
  metricsPort: port.optional(),
  rankIndex: z.number().int().min(0).optional(),
  labels: z.record(z.string(), z.string()).default({}),
  models: z.array(z.string().min(1)).default([]),
  loraAdapters: z.array(z.string().min(1)).default([]),
  maxLoras: z.number().int().min(0).optional(),
});

/** endpointsFileSchema is the whole static endpoints document. */
export const endpointsFileSchema = z.strictObject({
  endpoints: z.array(endpointEntry).default([]),
});

/** DEFAULT_ENDPOINTS_SOURCE names the embedded endpoints list in messages. */
export const DEFAULT_ENDPOINTS_SOURCE = "<embedded default endpoints>";

/**
 * DEFAULT_ENDPOINTS_YAML is used when no endpoints file is given: one model server on this host
 * at port 8000, the vLLM (and llm-d-inference-sim) default.
 */
export const DEFAULT_ENDPOINTS_YAML = `endpoints:
- name: local-model-server
  address: 127.0.0.1
  port: 8000
`;

/** parseEndpointsFile validates a static endpoints document; every problem comes back with its path. */
export function parseEndpointsFile(text: string): Result<EndpointMetadata[], ConfigIssue[]> {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return err(yamlErrorIssues(doc.errors));
  const parsed = endpointsFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) return err(parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, number>();
  const out: EndpointMetadata[] = [];
  for (const [i, e] of parsed.data.endpoints.entries()) {
    const key = joinHostPort(e.address, e.port);
    const previous = seen.get(key);
    if (previous !== undefined) {
      issues.push({ path: `endpoints[${i}]`, message: `${key} is already listed at endpoints[${previous}]` });
      continue;
    }
    seen.set(key, i);
    const name = e.name ?? key;
    out.push({
      key,
      name,
      namespace: e.namespace,
      podName: name,
      address: e.address,
      port: e.port,
      metricsPort: e.metricsPort ?? e.port,
      labels: e.labels,
      models: e.models,
      loraAdapters: e.loraAdapters,
      maxLoras: e.maxLoras,
    });
  }
  return issues.length > 0 ? err(issues) : ok(out);
}
