/**
 * DEFAULT_CONFIG_YAML is used when no --config is given: GIE's default chain. The model field
 * goes to X-Gateway-Model-Name, and base-model-to-header (no mappings until configured) sets
 * X-Gateway-Base-Model-Name.
 */
export const DEFAULT_CONFIG_YAML = `apiVersion: inference-bbr.io/v1alpha1
kind: BodyBasedRoutingConfig
plugins:
  - type: body-field-to-header
    name: model-to-header
    parameters:
      fieldName: model
      headerName: X-Gateway-Model-Name
  - type: base-model-to-header
request:
  - model-to-header
  - base-model-to-header
`;

/** DEFAULT_CONFIG_SOURCE names the embedded default in messages. */
export const DEFAULT_CONFIG_SOURCE = "<embedded default config>";
