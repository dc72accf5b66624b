import { describe, expect, it } from "vitest";
import { createTestPlugin, testRequest } from "../../api/testing.js";
import { API_KIND, type ApiDetector, apiDetectorType } from "./api-detector.js";

function detect(headers: Record<string, string>, body?: unknown, params: unknown = undefined) {
  const created = createTestPlugin<ApiDetector>(apiDetectorType, params);
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  const request = testRequest({ headers, body });
  created.value.extractMetadata(request);
  return { kind: request.cycleState.read(API_KIND), sets: request.headers.mutatedHeaders() };
}

describe("api-detector by path", () => {
  it.each([
    { path: "/v1/chat/completions", want: "openai-chat-completions" },
    { path: "/v1/chat/completions?api-version=1", want: "openai-chat-completions" },
    { path: "/openai/v1/chat/completions/", want: "openai-chat-completions" },
    { path: "/v1/completions", want: "openai-completions" },
    { path: "/v1/embeddings", want: "openai-embeddings" },
    { path: "/v1/responses", want: "openai-responses" },
    { path: "/v1/audio/transcriptions", want: "openai-audio-transcriptions" },
    { path: "/v1/audio/translations", want: "openai-audio-translations" },
    { path: "/anthropic/v1/messages", want: "anthropic-messages" },
    { path: "/V1/Chat/Completions", want: "openai-chat-completions" },
  ])("$path → $want", ({ path, want }) => {
    // The body shape disagrees on purpose: the path wins.
    expect(detect({ ":path": path }, { prompt: "x" })).toEqual({
      kind: want,
      sets: [{ key: "X-Gateway-Api-Kind", value: want }],
    });
  });
});

describe("api-detector by body shape", () => {
  it.each([
    { name: "openai chat", headers: {}, body: { model: "m", messages: [] }, want: "openai-chat-completions" },
    {
      name: "anthropic by header",
      headers: { "anthropic-version": "2023-06-01" },
      body: { model: "m", messages: [], max_tokens: 5 },
      want: "anthropic-messages",
    },
    {
      name: "anthropic by system string",
      headers: {},
      body: { model: "m", system: "be brief", messages: [] },
      want: "anthropic-messages",
    },
    { name: "completions", headers: {}, body: { model: "m", prompt: "x" }, want: "openai-completions" },
    {
      name: "embeddings options",
      headers: {},
      body: { model: "m", input: [[1, 2]], encoding_format: "float" },
      want: "openai-embeddings",
    },
    { name: "embeddings text input", headers: {}, body: { model: "m", input: ["a", "b"] }, want: "openai-embeddings" },
    {
      name: "responses by field",
      headers: {},
      body: { model: "m", input: "hi", instructions: "x" },
      want: "openai-responses",
    },
    {
      name: "responses by item input",
      headers: {},
      body: { model: "m", input: [{ role: "user", content: "hi" }] },
      want: "openai-responses",
    },
    {
      name: "multipart upload",
      headers: { "content-type": "multipart/form-data; boundary=b" },
      body: "--b--",
      want: "openai-audio-transcriptions",
    },
    { name: "unknown json", headers: {}, body: { model: "m" }, want: "unknown" },
    { name: "opaque body", headers: { "content-type": "application/octet-stream" }, body: "xx", want: "unknown" },
    { name: "no body", headers: {}, body: undefined, want: "unknown" },
  ])("$name → $want", ({ headers, body, want }) => {
    expect(detect({ ":path": "/generate", ...headers }, body).kind).toBe(want);
  });
});

describe("api-detector header", () => {
  it("overwrites a client-sent value", () => {
    expect(detect({ ":path": "/v1/embeddings", "x-gateway-api-kind": "openai-chat-completions" }).sets).toEqual([
      { key: "X-Gateway-Api-Kind", value: "openai-embeddings" },
    ]);
  });

  it.each([
    { params: { headerName: "X-Api" }, want: [{ key: "X-Api", value: "openai-embeddings" }] },
    { params: { headerName: "" }, want: [] },
  ])("headerName $params.headerName", ({ params, want }) => {
    expect(detect({ ":path": "/v1/embeddings" }, undefined, params).sets).toEqual(want);
  });

  it.each([{ headerName: "bad header" }, { headerName: 3 }, { other: 1 }])("refuses %j", (params) => {
    expect(createTestPlugin(apiDetectorType, params).ok).toBe(false);
  });
});
