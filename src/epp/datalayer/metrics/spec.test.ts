import { describe, expect, it } from "vitest";
import { parseMetricSpec } from "./spec.js";

describe("metric spec parsing", () => {
  it.each([
    { spec: "", want: undefined },
    { spec: "vllm:num_requests_waiting", want: { name: "vllm:num_requests_waiting", labels: {} } },
    { spec: "m{request_type=waiting}", want: { name: "m", labels: { request_type: "waiting" } } },
    { spec: 'm{a="x,y", b = "q\\"z"}', want: { name: "m", labels: { a: "x,y", b: 'q"z' } } },
    { spec: " m{} ", want: { name: "m", labels: {} } },
  ])("$spec", ({ spec, want }) => {
    const got = parseMetricSpec(spec);
    expect(got).toEqual({ ok: true, value: want });
  });

  it.each(["1bad", "m{a=b", "m{=b}", "m{a:b}", "has space"])("rejects %s", (spec) => {
    expect(parseMetricSpec(spec).ok).toBe(false);
  });
});
