package ilb.batch;

import static ilb.batch.BatchJobsTest.KEY;
import static ilb.batch.BatchJobsTest.chatLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/** Batch jobs take only the capacity interactive requests leave free, and wait while there is none. */
class YieldToInteractiveTest {

    @Test
    void batchJobsWaitWhileInteractiveRequestsUseTheBackendAndRunOnceTheyAreDone() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(10));
            // capacity 4, a quarter kept for interactive requests: batch jobs may hold 3
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "least-request", PoolRoute.backend("a", backend,
                    "capacity: 4")), topics.ilbProperties("ilb.balancer.batchReserve=0.25",
                    "ilb.batch.maxRunMillis=1000", "ilb.tenants=test,vip", "ilb.tenant.vip.apiKeys=sk-vip",
                    "ilb.tenant.vip.models=*", "ilb.tenant.vip.interactiveBatch=true"));
            List<HttpResponse<InputStream>> streams = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                streams.add(ilb.openStream("m", 100_000));
            }
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                for (int i = 0; i < 4; i++) {
                    TestKafka.send(producer, topics.requests(), "job-" + i, chatLine("job-" + i), KEY);
                }
                // asking to be interactive does not help a tenant that may not
                TestKafka.send(producer, topics.requests(), "job-4", chatLine("job-4"),
                        Map.of("authorization", "Bearer " + Appliance.API_KEY, "ilb-priority", "interactive"));
            }
            BatchIntake intake = BatchRetryTest.intake(ilb);
            await().atMost(Duration.ofSeconds(30)).until(() -> intake.deferrals() >= 10);
            assertThat(intake.results()).as("no batch job ran beside 3 interactive requests").isZero();
            assertThat(backend.running()).isEqualTo(3);
            // the place batch jobs leave free serves interactive requests at once
            assertThat(ilb.post("/v1/chat/completions", Appliance.chat("m", 2)).statusCode()).isEqualTo(200);
            // the batch backs off to one job at a time, which keeps asking
            await().atMost(Duration.ofSeconds(30)).until(() -> intake.limit() == 1);
            assertThat(intake.results()).isZero();
            // a poll whose jobs wait that long is given up and polled again, after the consumer rejoins its group
            await().atMost(Duration.ofSeconds(30)).until(() -> intake.runsCutShort() >= 1);

            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                // a tenant that may ask for it has a job treated as interactive: it takes the free place now
                try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                    TestKafka.send(producer, topics.requests(), "vip-1", chatLine("vip-1"),
                            Map.of("authorization", "Bearer sk-vip", "ilb-priority", "interactive"));
                }
                assertThat(TestKafka.readAtLeast(results, 1, Duration.ofSeconds(30))).extracting(ConsumerRecord::key)
                        .containsExactly("vip-1");

                for (HttpResponse<InputStream> stream : streams) {
                    stream.body().close();
                }
                List<ConsumerRecord<String, String>> read = TestKafka.readAtLeast(results, 5, Duration.ofSeconds(30));
                assertThat(read).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("job-0", "job-1", "job-2",
                        "job-3", "job-4");
            }
        }
    }
}
