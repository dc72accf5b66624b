import type { Plugin } from "../../plugin/plugin.js";
import { PICKER_ROLE, PROFILE_HANDLER_ROLE } from "../api/defaults.js";
import { type Filter, isFilter, isPicker, isProfileHandler, isScorer, type Picker } from "../api/scheduling.js";
import { Scheduler, type SchedulerProfile, type WeightedScorer } from "../scheduling/scheduler.js";
import type { EppConfigDocument } from "./schema.js";
import type { Wiring } from "./wiring.js";

type ProfileSpec = EppConfigDocument["schedulingProfiles"][number];

const SCHEDULING_PLUGIN = {
  fits: (p: Plugin): p is Plugin => isFilter(p) || isScorer(p) || isPicker(p),
  says: "is not a filter, scorer or picker",
};

/**
 * buildScheduler builds the scheduling profiles and their handler. Without profiles, one
 * "default" profile holds every configured filter, scorer and picker; without a profile
 * handler the default handler runs the one profile, and it refuses several.
 */
export function buildScheduler(
  wiring: Wiring,
  document: EppConfigDocument,
  configured: readonly Plugin[],
): Scheduler | undefined {
  const specs: readonly ProfileSpec[] =
    document.schedulingProfiles.length > 0
      ? document.schedulingProfiles
      : [
          {
            name: "default",
            plugins: configured.filter(SCHEDULING_PLUGIN.fits).map((p) => ({ pluginRef: p.typedName.name })),
          },
        ];
  const profiles = new Map<string, SchedulerProfile>();
  for (const [i, spec] of specs.entries()) {
    const path = `schedulingProfiles[${i}]`;
    if (profiles.has(spec.name)) {
      wiring.issues.push({ path: `${path}.name`, message: `duplicate profile name "${spec.name}"` });
      continue;
    }
    const profile = buildProfile(wiring, spec, path);
    if (profile) profiles.set(spec.name, profile);
  }

  const handlers = configured.filter(isProfileHandler);
  if (handlers.length > 1) {
    wiring.issues.push({
      path: wiring.pathOf(handlers[1]!),
      message: `only one profile handler may be configured (also "${handlers[0]!.typedName.name}")`,
    });
    return undefined;
  }
  let handler = handlers[0];
  if (!handler) {
    if (specs.length > 1) {
      wiring.issues.push({
        path: "schedulingProfiles",
        message: "more than one profile needs a profile handler plugin",
      });
      return undefined;
    }
    const injected = wiring.inject(PROFILE_HANDLER_ROLE, "schedulingProfiles");
    if (!injected || !isProfileHandler(injected)) return undefined;
    handler = injected;
  }
  const singleProfile = wiring.defaultType(PROFILE_HANDLER_ROLE);
  if (handler.typedName.type === singleProfile && specs.length > 1) {
    wiring.issues.push({ path: "schedulingProfiles", message: `${singleProfile} supports exactly one profile` });
    return undefined;
  }
  if (profiles.size !== specs.length) return undefined;
  return new Scheduler(handler, profiles);
}

/** buildProfile sorts a profile's plugins into filters, weighted scorers and one picker (the default picker if none). */
function buildProfile(wiring: Wiring, spec: ProfileSpec, path: string): SchedulerProfile | undefined {
  const filters: Filter[] = [];
  const scorers: WeightedScorer[] = [];
  let picker: Picker | undefined;
  const before = wiring.issues.length;
  for (const [j, entry] of spec.plugins.entries()) {
    const at = `${path}.plugins[${j}]`;
    const plugin = wiring.refs.find(entry.pluginRef, `${at}.pluginRef`, SCHEDULING_PLUGIN);
    if (!plugin) continue;
    if (entry.weight !== undefined && !isScorer(plugin)) {
      wiring.issues.push({
        path: `${at}.weight`,
        message: `weight applies to scorers only; "${entry.pluginRef}" is not one`,
      });
    }
    if (isFilter(plugin)) filters.push(plugin);
    if (isScorer(plugin)) scorers.push({ scorer: plugin, weight: entry.weight ?? 1 });
    if (isPicker(plugin)) {
      if (picker) {
        wiring.issues.push({
          path: `${at}.pluginRef`,
          message: `profile "${spec.name}" already has picker "${picker.typedName.name}"`,
        });
      } else {
        picker = plugin;
      }
    }
  }
  if (!picker) {
    const injected = wiring.inject(PICKER_ROLE, `${path}.plugins`);
    if (injected && isPicker(injected)) picker = injected;
  }
  if (wiring.issues.length > before || !picker) return undefined;
  return { name: spec.name, filters, scorers, picker };
}
