package ilb.backend;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MetricsReaderTest {

    private static String vllm(int waiting, double ttftSum, int ttftCount) {
        return """
                # HELP vllm:num_requests_running Number of requests in model execution batches.
                # TYPE vllm:num_requests_running gauge
                vllm:num_requests_running{model_name="a"} 12.0
                vllm:num_requests_running{model_name="b"} 2.0
                vllm:num_requests_waiting{model_name="a"} %d.0
                vllm:kv_cache_usage_perc{model_name="a"} 0.75
                vllm:time_to_first_token_seconds_bucket{le="0.1",model_name="a"} 3
                vllm:time_to_first_token_seconds_sum{model_name="a"} %s
                vllm:time_to_first_token_seconds_count{model_name="a"} %d
                """.formatted(waiting, ttftSum, ttftCount);
    }

    @Test
    void readsVllmGaugesSummedOverModels() {
        BackendTelemetry telemetry = new MetricsReader().read(vllm(5, 1.0, 10), 42);

        assertThat(telemetry.scrapedNanos()).isEqualTo(42);
        assertThat(telemetry.running()).isEqualTo(14);
        assertThat(telemetry.waiting()).isEqualTo(5);
        assertThat(telemetry.kvCacheUsage()).isEqualTo(0.75);
        assertThat(telemetry.tpotSeconds()).isNaN();
    }

    @Test
    void latencyIsTheMeanOfWhatFinishedSinceTheLastScrapeSmoothed() {
        MetricsReader reader = new MetricsReader();
        // lifetime mean first: 1 s over 10 requests
        assertThat(reader.read(vllm(0, 1.0, 10), 1).ttftSeconds()).isCloseTo(0.1, within(1e-9));
        // 10 more requests took 5 s: 0.5 s each, averaged half and half with 0.1
        assertThat(reader.read(vllm(0, 6.0, 20), 2).ttftSeconds()).isCloseTo(0.3, within(1e-9));
        // nothing finished: the estimate stays
        assertThat(reader.read(vllm(0, 6.0, 20), 3).ttftSeconds()).isCloseTo(0.3, within(1e-9));
        // the server restarted: its counters start again, nothing is concluded from the drop
        assertThat(reader.read(vllm(0, 0.2, 2), 4).ttftSeconds()).isCloseTo(0.3, within(1e-9));
        assertThat(reader.read(vllm(0, 0.4, 4), 5).ttftSeconds()).isCloseTo(0.2, within(1e-9));
    }

    @Test
    void aMeanWithNothingNewForLongIsForgotten() {
        MetricsReader reader = new MetricsReader();
        reader.read(vllm(0, 1.0, 10), 0);

        assertThat(reader.read(vllm(0, 1.0, 10), MetricsReader.FORGET_NANOS).ttftSeconds()).isCloseTo(0.1, within(1e-9));
        assertThat(reader.read(vllm(0, 1.0, 10), MetricsReader.FORGET_NANOS + 1).ttftSeconds()).isNaN();
    }

    @Test
    void queuesAddUpOverEnginesButCacheUseDoesNot() {
        BackendTelemetry telemetry = new MetricsReader().read("""
                vllm:num_requests_waiting{engine="0"} 2
                vllm:num_requests_waiting{engine="1"} 3
                vllm:kv_cache_usage_perc{engine="0"} 0.8
                vllm:kv_cache_usage_perc{engine="1"} 0.6
                """, 1);

        assertThat(telemetry.waiting()).isEqualTo(5);
        assertThat(telemetry.kvCacheUsage()).isEqualTo(0.8);
    }

    @Test
    void readsSglangNames() {
        BackendTelemetry telemetry = new MetricsReader().read("""
                sglang:num_running_reqs{model_name="m"} 7
                sglang:num_queue_reqs{model_name="m"} 3
                sglang:token_usage{model_name="m"} 0.5
                sglang:inter_token_latency_seconds_sum{model_name="m"} 0.2
                sglang:inter_token_latency_seconds_count{model_name="m"} 10
                """, 1);

        assertThat(telemetry.running()).isEqualTo(7);
        assertThat(telemetry.waiting()).isEqualTo(3);
        assertThat(telemetry.kvCacheUsage()).isEqualTo(0.5);
        assertThat(telemetry.tpotSeconds()).isCloseTo(0.02, within(1e-9));
    }

    @Test
    void readsTritonByLabel() {
        BackendTelemetry telemetry = new MetricsReader().read("""
                nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="scheduled",version="1"} 6
                nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="waiting",version="1"} 2
                nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="max",version="1"} 64
                nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="fraction",model="tensorrt_llm",version="1"} 0.25
                """, 1);

        assertThat(telemetry.running()).isEqualTo(6);
        assertThat(telemetry.waiting()).isEqualTo(2);
        assertThat(telemetry.kvCacheUsage()).isEqualTo(0.25);
    }

    @Test
    void whatAServerDoesNotPublishIsUnknownAndGarbageIsSkipped() {
        BackendTelemetry telemetry = new MetricsReader().read("""
                some_other_metric 1
                vllm:num_requests_waiting{model_name="a"} not-a-number
                {broken
                """, 1);

        assertThat(telemetry.known()).isTrue();
        assertThat(telemetry.waiting()).isNaN();
        assertThat(telemetry.running()).isNaN();
        assertThat(telemetry.kvCacheUsage()).isNaN();
    }
}
