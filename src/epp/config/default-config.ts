/** DEFAULT_CONFIG_SOURCE names the embedded config in messages. */
export const DEFAULT_CONFIG_SOURCE = "<embedded default config>";

/**
 * DEFAULT_CONFIG_YAML is the reference's built-in default (queue 2, kv-cache 2, prefix 3, with
 * the metrics data source and extractor) plus model-filter, so a request never reaches an
 * endpoint that declares other models.
 */
export const DEFAULT_CONFIG_YAML = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: model-filter
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: prefix-cache-scorer
- type: metrics-data-source
- type: core-metrics-extractor
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: model-filter
  - pluginRef: queue-scorer
    weight: 2
  - pluginRef: kv-cache-utilization-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
`;
