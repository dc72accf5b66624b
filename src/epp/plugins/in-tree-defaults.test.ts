import { describe, expect, it } from "vitest";
import { silentLogger } from "../../common/logger.js";
import type { Plugin } from "../../plugin/plugin.js";
import { isMetricsDataSource, isMetricsExtractor } from "../api/datalayer.js";
import * as roles from "../api/defaults.js";
import { isDataProducer, isRequestParser } from "../api/request-control.js";
import { isSaturationDetector } from "../api/saturation.js";
import { isPicker, isProfileHandler } from "../api/scheduling.js";
import { IN_TREE_DEFAULTS, newInTreeRegistry } from "./in-tree.js";
import { PREFIX_CACHE_MATCH_INFO } from "./prefix/match-info.js";
import { loadHasher } from "./prefix/hashing.js";

describe("newInTreeRegistry", () => {
  it.each<{ role: roles.EppRole; fits: (p: Plugin) => boolean }>([
    { role: roles.PARSER_ROLE, fits: isRequestParser },
    { role: roles.PICKER_ROLE, fits: isPicker },
    { role: roles.PROFILE_HANDLER_ROLE, fits: isProfileHandler },
    { role: roles.SATURATION_DETECTOR_ROLE, fits: isSaturationDetector },
    { role: roles.METRICS_DATA_SOURCE_ROLE, fits: isMetricsDataSource },
    { role: roles.METRICS_EXTRACTOR_ROLE, fits: isMetricsExtractor },
    {
      role: roles.producerRole(PREFIX_CACHE_MATCH_INFO),
      fits: (p) => isDataProducer(p) && p.produces.includes(PREFIX_CACHE_MATCH_INFO),
    },
  ])("fills $role with a type that builds with default parameters and does the job", async ({ role, fits }) => {
    const registry = newInTreeRegistry();
    const type = registry.defaultType(role);
    expect(type).toBeDefined();
    const handle = { logger: silentLogger(), hasher: await loadHasher(), random: Math.random, endpoints: () => [] };
    const created = registry.create(type!, type!, undefined, handle);
    expect(created.ok && fits(created.value)).toBe(true);
    if (created.ok) await created.value.close?.();
  });

  it("names a default for every role it lists exactly once", () => {
    const roles = IN_TREE_DEFAULTS.map(([role]) => role);
    expect(new Set(roles).size).toBe(roles.length);
  });
});
