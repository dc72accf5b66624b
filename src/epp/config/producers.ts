import type { Plugin } from "../../plugin/plugin.js";
import { producerRole } from "../api/defaults.js";
import { isDataConsumer, isDataProducer } from "../api/request-control.js";
import type { Wiring } from "./wiring.js";

/**
 * wireDataProducers gives every consumed data key exactly one producer: a key two configured
 * plugins produce is refused, and a key nothing produces gets the registry's default producer
 * for it, built with the parameters the consumer hands over (legacy parameters that used to
 * live on the consumer).
 */
export function wireDataProducers(wiring: Wiring, configured: readonly Plugin[]): void {
  const producedBy = new Map<string, Plugin>();
  for (const p of configured.filter(isDataProducer)) {
    for (const key of p.produces) {
      const other = producedBy.get(key);
      if (other) {
        wiring.issues.push({
          path: wiring.pathOf(p),
          message: `data key ${key} is already produced by "${other.typedName.name}"; configure one producer per key`,
        });
      }
      producedBy.set(key, p);
    }
  }
  for (const consumer of configured.filter(isDataConsumer)) {
    for (const key of consumer.consumes) {
      const legacy = consumer.defaultProducerParameters?.(key);
      const explicit = producedBy.get(key);
      if (explicit) {
        if (legacy !== undefined) {
          wiring.issues.push({
            path: `${wiring.pathOf(consumer)}.parameters`,
            message: `these parameters configure the default producer of ${key}, but "${explicit.typedName.name}" is configured explicitly: set them there`,
          });
        }
        continue;
      }
      const role = producerRole(key);
      if (wiring.defaultType(role) === undefined) {
        wiring.issues.push({ path: wiring.pathOf(consumer), message: `nothing produces data key ${key}` });
        continue;
      }
      const producer = wiring.inject(role, `${wiring.pathOf(consumer)}.parameters`, legacy);
      if (producer) producedBy.set(key, producer);
    }
  }
}
