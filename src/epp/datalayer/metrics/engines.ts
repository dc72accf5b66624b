/** EngineMetricNames are the metric specs of one model-server engine; "" disables a metric. */
export interface EngineMetricNames {
  readonly name: string;
  readonly queuedRequestsSpec: string;
  readonly runningRequestsSpec: string;
  readonly kvUsageSpec: string;
  readonly loraSpec: string;
  /** Info series whose labels carry block size and count (block_size/num_gpu_blocks or page_size/num_pages). */
  readonly cacheInfoSpec: string;
  /** Gauges for block size and count, for engines that export them as values (TensorRT-LLM). */
  readonly blockSizeSpec: string;
  readonly numBlocksSpec: string;
}

/** ENGINE_LABEL_KEY is the pod label choosing an endpoint's engine (GIE). */
export const ENGINE_LABEL_KEY = "inference.networking.k8s.io/engine-type";
export const DEFAULT_ENGINE = "vllm";

/** BUILT_IN_ENGINES are the reference mappings (GIE extractor factories and the model-server protocol). */
export const BUILT_IN_ENGINES: readonly EngineMetricNames[] = [
  {
    name: "vllm",
    queuedRequestsSpec: "vllm:num_requests_waiting",
    runningRequestsSpec: "vllm:num_requests_running",
    kvUsageSpec: "vllm:kv_cache_usage_perc",
    loraSpec: "vllm:lora_requests_info",
    cacheInfoSpec: "vllm:cache_config_info",
    blockSizeSpec: "",
    numBlocksSpec: "",
  },
  {
    name: "sglang",
    queuedRequestsSpec: "sglang:num_queue_reqs",
    runningRequestsSpec: "sglang:num_running_reqs",
    kvUsageSpec: "sglang:token_usage",
    loraSpec: "",
    cacheInfoSpec: "sglang:cache_config_info",
    blockSizeSpec: "",
    numBlocksSpec: "",
  },
  {
    name: "trtllm-serve",
    queuedRequestsSpec: "trtllm_num_requests_waiting",
    runningRequestsSpec: "trtllm_num_requests_running",
    kvUsageSpec: "trtllm_kv_cache_utilization",
    loraSpec: "",
    cacheInfoSpec: "",
    blockSizeSpec: "trtllm_kv_cache_tokens_per_block",
    numBlocksSpec: "trtllm_kv_cache_max_blocks",
  },
  {
    name: "triton-tensorrt-llm",
    queuedRequestsSpec: "nv_trt_llm_request_metrics{request_type=waiting}",
    runningRequestsSpec: "nv_trt_llm_request_metrics{request_type=scheduled}",
    kvUsageSpec: "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=fraction}",
    loraSpec: "",
    cacheInfoSpec: "",
    blockSizeSpec: "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=tokens_per}",
    numBlocksSpec: "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=max}",
  },
];
