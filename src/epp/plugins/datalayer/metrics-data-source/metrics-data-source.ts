import { z } from "zod";
import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { MetricsDataSource } from "../../../api/datalayer.js";
import { type EndpointMetadata, joinHostPort } from "../../../api/endpoint.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import { parameters } from "../../params.js";

/** METRICS_DATA_SOURCE is the plugin type name. */
export const METRICS_DATA_SOURCE = "metrics-data-source";

const schema = parameters({
  scheme: z.enum(["http", "https"]).default("http"),
  path: z.string().startsWith("/", "path must start with /").default("/metrics"),
  /** Model servers usually serve self-signed certificates, hence the reference's default of true. */
  insecureSkipVerify: z.boolean().default(true),
});

type Parameters = z.output<typeof schema>;

/** MetricsDataSourcePlugin says where each endpoint's Prometheus metrics are scraped. */
export class MetricsDataSourcePlugin implements MetricsDataSource {
  readonly typedName: TypedName;
  readonly insecureSkipVerify: boolean;

  constructor(
    name: string,
    private readonly params: Parameters,
  ) {
    this.typedName = { type: METRICS_DATA_SOURCE, name };
    this.insecureSkipVerify = params.insecureSkipVerify;
  }

  metricsUrl(endpoint: EndpointMetadata): string {
    return `${this.params.scheme}://${joinHostPort(endpoint.address, endpoint.metricsPort)}${this.params.path}`;
  }
}

/** metricsDataSourceType registers metrics-data-source. */
export const metricsDataSourceType: PluginTypeSpec<Parameters, EppPluginHandle> = {
  type: METRICS_DATA_SOURCE,
  description: "Scrapes each endpoint's Prometheus metrics (scheme, path, TLS verification).",
  stability: "stable",
  extensionPoints: ["DataSource"],
  parameters: schema,
  create: (name, p) => ok(new MetricsDataSourcePlugin(name, p)),
};
