package ilb.batch;

import static ilb.batch.BatchJobsTest.JSON;
import static ilb.batch.BatchJobsTest.KEY;
import static ilb.batch.BatchJobsTest.chatLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/** Batch jobs count against their tenant's limits as HTTP requests do, and a job over one waits: no attempt spent. */
class BatchLimitsTest {

    @Test
    void aJobOverItsTenantsLimitWaitsUntilItFitsAndItsTokensCount() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        try (Servers servers = new Servers()) {
            SimulatedBackend fast = servers.fastBackend();
            // streams that last as long as the test holds them
            SimulatedBackend slow = servers.backend(new SimulatorOptions().models("slow").ttftMs(1).itlMs(60_000));
            // a clock that stands still: no token comes back but those the test accounts for
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", fast))
                            + PoolRoute.pool("slow", "round-robin", PoolRoute.backend("s", slow)),
                    Map.of("ilbClock", (LongSupplier) new AtomicLong(1_000_000)::get),
                    // a job refused as a failure would be dead-lettered at its first
                    topics.ilbProperties("ilb.batch.maxAttempts=1", "ilb.tenant.test.maxConcurrent=1",
                            "ilb.tenant.test.tokensPerMinute=1000"));
            // the tenant's one place, held by a stream: 7 tokens of prompt and its first event so far
            HttpResponse<InputStream> stream = ilb.openStream("slow", 100);
            assertThat(stream.statusCode()).isEqualTo(200);

            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), "limited", chatLine("limited"), KEY);
            }
            BatchIntake intake = BatchRetryTest.intake(ilb);
            await().atMost(Duration.ofSeconds(30)).until(() -> intake.deferrals() >= 1);
            assertThat(fast.inferenceRequests()).isZero();

            // the place comes back when the stream's client goes
            stream.body().close();
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                List<ConsumerRecord<String, String>> read = TestKafka.readAtLeast(results, 1, Duration.ofSeconds(30));
                assertThat(read).hasSize(1);
                assertThat(read.get(0).key()).isEqualTo("limited");
                assertThat(JSON.readTree(read.get(0).value()).at("/response/status_code").asInt()).isEqualTo(200);
            }
            assertThat(intake.deadLetters()).isZero();
            assertThat(intake.retries()).isZero();
            assertThat(fast.inferenceRequests()).isEqualTo(1);
            assertThat(slow.inferenceRequests()).isEqualTo(1);

            // the stream used 8 (its estimate and one event), the job 6 (its usage: 3 of prompt, 3 generated),
            // and this request takes its estimate of 7
            HttpResponse<String> probe = ilb.post("/v1/chat/completions", Appliance.chat("m", 1));
            assertThat(probe.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue("979");
        }
    }
}
