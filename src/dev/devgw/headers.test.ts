import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { HeaderValueOption_HeaderAppendAction as Action } from "../../gen/envoy/config/core/v3/base_pb.js";
import { HeaderMutationSchema } from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { applyHeaderMutation, fromRawHeaders, type HeaderList, toNodeHeaders } from "./headers.js";

const enc = new TextEncoder();

type SetSpec = { key: string; raw?: string; value?: string; append?: boolean; action?: Action; keepEmpty?: boolean };

function mutation(sets: SetSpec[], removes: string[] = []) {
  return create(HeaderMutationSchema, {
    setHeaders: sets.map((s) => ({
      header: {
        key: s.key,
        value: s.value ?? "",
        rawValue: s.raw === undefined ? new Uint8Array() : enc.encode(s.raw),
      },
      ...(s.append === undefined ? {} : { append: s.append }),
      appendAction: s.action ?? Action.APPEND_IF_EXISTS_OR_ADD,
      keepEmptyValue: s.keepEmpty ?? false,
    })),
    removeHeaders: removes,
  });
}

const base = (): HeaderList => [
  [":method", "POST"],
  [":path", "/v1/chat/completions"],
  [":authority", "gw"],
  ["x-gateway-model-name", "spoofed"],
  ["accept", "a"],
];

describe("applyHeaderMutation", () => {
  it.each([
    {
      name: "a set without append overwrites (Envoy's ext_proc default)",
      m: mutation([{ key: "X-Gateway-Model-Name", raw: "llama" }]),
      want: [
        [":method", "POST"],
        [":path", "/v1/chat/completions"],
        [":authority", "gw"],
        ["x-gateway-model-name", "llama"],
        ["accept", "a"],
      ],
      changed: ["x-gateway-model-name"],
    },
    {
      name: "remove then set, value field accepted",
      m: mutation([{ key: "x-new", value: "1" }], ["Accept"]),
      want: [
        [":method", "POST"],
        [":path", "/v1/chat/completions"],
        [":authority", "gw"],
        ["x-gateway-model-name", "spoofed"],
        ["x-new", "1"],
      ],
      changed: ["accept", "x-new"],
    },
    {
      name: "append adds a second value",
      m: mutation([{ key: "accept", raw: "b", append: true }]),
      want: [...base(), ["accept", "b"]],
      changed: ["accept"],
    },
    {
      name: "ADD_IF_ABSENT leaves an existing header; OVERWRITE_IF_EXISTS skips a missing one",
      m: mutation([
        { key: "accept", raw: "b", action: Action.ADD_IF_ABSENT },
        { key: "x-missing", raw: "z", action: Action.OVERWRITE_IF_EXISTS },
      ]),
      want: base(),
      changed: [],
    },
    {
      name: "an empty value removes unless keep_empty_value",
      m: mutation([
        { key: "x-gateway-model-name", raw: "" },
        { key: "x-kept", raw: "", keepEmpty: true },
      ]),
      want: [
        [":method", "POST"],
        [":path", "/v1/chat/completions"],
        [":authority", "gw"],
        ["accept", "a"],
        ["x-kept", ""],
      ],
      changed: ["x-gateway-model-name", "x-kept"],
    },
    {
      name: "system headers are ignored except :path",
      m: mutation(
        [
          { key: ":method", raw: "GET" },
          { key: "host", raw: "evil" },
          { key: "x-envoy-foo", raw: "1" },
          { key: ":path", raw: "/x" },
        ],
        [":authority", "host"],
      ),
      want: [
        [":method", "POST"],
        [":path", "/x"],
        [":authority", "gw"],
        ["x-gateway-model-name", "spoofed"],
        ["accept", "a"],
      ],
      changed: [":path"],
    },
  ])("$name", ({ m, want, changed }) => {
    const headers = base();
    const r = applyHeaderMutation(headers, m, "request");
    expect(r).toEqual({ changed });
    expect(headers).toEqual(want);
  });

  it.each([
    {
      name: "both value and raw_value",
      m: mutation([{ key: "x", value: "a", raw: "b" }]),
      error: "header x has both value and raw_value",
    },
    {
      name: "a newline in a value",
      m: mutation([{ key: "x", raw: "a\r\nb: c" }]),
      error: "invalid value for header x",
    },
    { name: "a bad name", m: mutation([{ key: "bad name", raw: "a" }]), error: 'invalid header name "bad name"' },
  ])("rejects $name and changes nothing", ({ m, error }) => {
    const headers = base();
    expect(applyHeaderMutation(headers, m, "request")).toEqual({ changed: [], error });
    expect(headers).toEqual(base());
  });

  it("lets a response mutation set a valid :status only", () => {
    const headers: HeaderList = [[":status", "200"]];
    expect(applyHeaderMutation(headers, mutation([{ key: ":status", raw: "429" }]), "response")).toEqual({
      changed: [":status"],
    });
    expect(headers).toEqual([[":status", "429"]]);
    expect(applyHeaderMutation(headers, mutation([{ key: ":status", raw: "99" }]), "response").error).toBe(
      'invalid :status "99"',
    );
  });
});

describe("header conversion", () => {
  it("lower-cases raw headers and drops pseudo and hop-by-hop headers on the way out", () => {
    const list = fromRawHeaders([
      "Content-Type",
      "application/json",
      "Connection",
      "keep-alive",
      "X-A",
      "1",
      "x-a",
      "2",
    ]);
    expect(list).toEqual([
      ["content-type", "application/json"],
      ["connection", "keep-alive"],
      ["x-a", "1"],
      ["x-a", "2"],
    ]);
    expect(toNodeHeaders([[":status", "200"], ...list, ["transfer-encoding", "chunked"]])).toEqual({
      "content-type": "application/json",
      "x-a": ["1", "2"],
    });
  });
});
