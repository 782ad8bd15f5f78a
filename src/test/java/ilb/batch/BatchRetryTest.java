package ilb.batch;

import static ilb.batch.BatchJobsTest.JSON;
import static ilb.batch.BatchJobsTest.KEY;
import static ilb.batch.BatchJobsTest.chatLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/** Backend failures: a job is tried again later, and ends as a result once a backend answers, or as a dead letter. */
class BatchRetryTest {

    @Test
    void aJobWhoseBackendFailsIsTriedAgainAndGetsItsResultOnceTheBackendRecovers() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            backend.faults().errorRate(1).errorStatus(503);
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", backend)),
                    topics.ilbProperties("ilb.batch.maxAttempts=1000"));
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), "job", chatLine("job"), KEY);
            }
            BatchIntake intake = intake(ilb);
            await().atMost(Duration.ofSeconds(30)).until(() -> intake.retries() >= 2);
            backend.faults().errorRate(0);
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                ConsumerRecord<String, String> result = TestKafka.readAtLeast(results, 1, Duration.ofSeconds(30)).get(0);
                assertThat(result.key()).isEqualTo("job");
                assertThat(JSON.readTree(result.value()).at("/response/status_code").asInt()).isEqualTo(200);
                assertThat(Integer.parseInt(DeadLetterTest.header(result, "ilb-attempts"))).isGreaterThanOrEqualTo(3);
            }
        }
    }

    @Test
    void aJobWhoseBackendsKeepFailingGoesToTheDeadLetterTopicAfterItsLastAttempt() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            backend.faults().errorRate(1).errorStatus(502);
            servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", backend)),
                    topics.ilbProperties("ilb.batch.maxAttempts=3"));
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), "doomed", chatLine("doomed"), KEY);
            }
            try (KafkaConsumer<String, String> dlq = TestKafka.reader(topics.dlq())) {
                List<ConsumerRecord<String, String>> dead = TestKafka.readAtLeast(dlq, 1, Duration.ofSeconds(30));
                assertThat(dead.get(0).key()).isEqualTo("doomed");
                assertThat(DeadLetterTest.reason(dead.get(0))).isEqualTo("retries_exhausted");
                assertThat(DeadLetterTest.header(dead.get(0), "ilb-error")).contains("after 3 attempts")
                        .contains("502");
                assertThat(JSON.readTree(dead.get(0).value()).get("attempts").asInt()).isEqualTo(3);
            }
            assertThat(backend.inferenceRequests()).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void aJobForAModelWhoseBackendsAreAllDownIsNotDeferredForeverButDeadLettered() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        try (Servers servers = new Servers()) {
            // nothing listens there
            servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("gone", "http://127.0.0.1:"
                    + Appliance.freePort())), topics.ilbProperties("ilb.batch.maxAttempts=3"));
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), "orphan", chatLine("orphan"), KEY);
            }
            try (KafkaConsumer<String, String> dlq = TestKafka.reader(topics.dlq())) {
                ConsumerRecord<String, String> dead = TestKafka.readAtLeast(dlq, 1, Duration.ofSeconds(30)).get(0);
                assertThat(dead.key()).isEqualTo("orphan");
                assertThat(DeadLetterTest.reason(dead)).isEqualTo("retries_exhausted");
                assertThat(DeadLetterTest.header(dead, "ilb-error")).contains("no_healthy_backend");
            }
        }
    }

    /** A poll cut short for taking too long hands its jobs' attempts on to the next poll of them. */
    @Test
    void attemptsKeepCountingAcrossPollsCutShort() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            backend.faults().errorRate(1).errorStatus(502);
            // retries 0.4 + 0.8 + 1.6 s apart: more than one poll of at most 1 s each
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", backend)),
                    topics.ilbProperties("ilb.batch.maxAttempts=4", "ilb.batch.retryBackoffMillis=400",
                            "ilb.batch.maxRunMillis=1000"));
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), "stubborn", chatLine("stubborn"), KEY);
            }
            try (KafkaConsumer<String, String> dlq = TestKafka.reader(topics.dlq())) {
                ConsumerRecord<String, String> dead = TestKafka.readAtLeast(dlq, 1, Duration.ofSeconds(60)).get(0);
                assertThat(DeadLetterTest.header(dead, "ilb-error")).contains("after 4 attempts");
            }
            assertThat(intake(ilb).runsCutShort()).isGreaterThanOrEqualTo(1);
        }
    }

    static BatchIntake intake(Appliance ilb) {
        return ilb.context().getRegistry().lookupByNameAndType("batchIntake", BatchIntake.class);
    }
}
