import { StreamLifecycle } from "../../extproc/lifecycle/stream-lifecycle.js";
import type { ResponseSink } from "../../extproc/transport/stream.js";
import { BbrExchange, chainListener, lifecycleSettingsOf } from "./bbr-exchange.js";
import type { ChainObserver } from "./chain.js";
import type { BbrEnvironment } from "./settings.js";

/**
 * BbrStreamProcessor is the handler of one ext_proc stream: the shared lifecycle running BBR's
 * decisions (BbrExchange) on the config snapshot current when the stream opened. It knows
 * nothing of the transport.
 */
export class BbrStreamProcessor extends StreamLifecycle {
  constructor(
    env: BbrEnvironment,
    sink: ResponseSink,
    /** onStep also hears every plugin call (tracing spans, the admin Evaluate's timings). */
    onStep?: ChainObserver,
  ) {
    const settings = env.settings();
    super(lifecycleSettingsOf(settings), new BbrExchange(env, settings, chainListener(onStep)), sink);
  }
}
