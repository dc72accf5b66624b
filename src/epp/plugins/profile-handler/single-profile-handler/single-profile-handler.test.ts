import { describe, expect, it } from "vitest";
import { endpoint, inferenceRequest } from "../../../../../test/epp/support/scheduling.js";
import type { ProfileRunResult } from "../../../api/scheduling.js";
import { SingleProfileHandler } from "./single-profile-handler.js";

const handler = new SingleProfileHandler("h");
const request = inferenceRequest();
const profiles = new Map([["default", { name: "default" }]]);
const chosen: ProfileRunResult = { targetEndpoints: [endpoint(1)] };

describe("single-profile-handler", () => {
  it.each([
    { name: "runs the profile first", results: new Map<string, ProfileRunResult | undefined>(), want: ["default"] },
    { name: "runs nothing once it has run", results: new Map([["default", chosen]]), want: [] },
    { name: "runs nothing after a failed run", results: new Map([["default", undefined]]), want: [] },
  ])("$name", ({ results, want }) => {
    expect(handler.pickProfiles(request, profiles, results)).toEqual(want);
  });

  it("makes the one result primary", () => {
    const results = new Map([["default", chosen]]);
    expect(handler.processResults(request, results)).toEqual({
      profileResults: results,
      primaryProfileName: "default",
    });
  });

  it.each([
    { name: "no result", results: new Map<string, ProfileRunResult | undefined>() },
    { name: "a failed profile", results: new Map([["default", undefined]]) },
    {
      name: "two results",
      results: new Map([
        ["a", chosen],
        ["b", chosen],
      ]),
    },
  ])("cannot serve with $name", ({ results }) => {
    expect(handler.processResults(request, results)).toBeUndefined();
  });
});
