package ilb.batch;

import static ilb.batch.BatchJobsTest.KEY;
import static ilb.batch.BatchJobsTest.chatLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import ilb.Appliance;
import ilb.IlbProcess;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ilb killed in the middle of a batch loses no job: after a restart, or on the other replica of its consumer group,
 * every job gets its result. Jobs in flight at the kill are done again: counted, and at most a poll's worth.
 */
class HardStopTest {

    static final int JOBS = 400;
    static final int MAX_POLL_RECORDS = 50;

    @TempDir
    Path dir;

    @Test
    void killedInTheMiddleOfABatchAndStartedAgainEveryJobGetsAResult() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(2);
        try (Servers servers = new Servers()) {
            String pool = pool(servers);
            String[] properties = topics.ilbProperties("ilb.batch.maxPollRecords=" + MAX_POLL_RECORDS);
            submit(topics);
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                Map<String, Integer> seen = new HashMap<>();
                try (IlbProcess first = IlbProcess.start(dir.resolve("first"), pool, properties)) {
                    readUntil(results, seen, JOBS / 4);
                    first.kill();
                }
                assertThat(seen.size()).as("killed before the end of the batch").isLessThan(JOBS);
                try (IlbProcess second = IlbProcess.start(dir.resolve("second"), pool, properties)) {
                    readUntil(results, seen, JOBS);
                }
                assertEveryJobDoneWithBoundedDuplicates(seen, MAX_POLL_RECORDS);
            }
        }
    }

    @Test
    void whenOneOfTwoReplicasDiesTheOtherTakesItsPartitionsAndFinishesItsJobs() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(4);
        try (Servers servers = new Servers()) {
            String pool = pool(servers);
            String[] properties = topics.ilbProperties("ilb.batch.maxPollRecords=" + MAX_POLL_RECORDS);
            try (IlbProcess doomed = IlbProcess.start(dir.resolve("doomed"), pool, properties);
                    KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                Appliance survivor = servers.ilb(pool, properties);
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestKafka.bootstrap()))) {
                    await("both replicas in the consumer group").atMost(Duration.ofSeconds(30)).until(() -> admin
                            .describeConsumerGroups(List.of(topics.group())).all().get().get(topics.group())
                            .members().stream().filter(member -> !member.assignment().topicPartitions().isEmpty())
                            .count() == 2);
                }
                submit(topics);
                BatchIntake survivorIntake = BatchRetryTest.intake(survivor);
                Map<String, Integer> seen = new HashMap<>();
                // killed once both have done some: more distinct results read than the survivor wrote means the
                // doomed replica (a JVM of its own, often the slower to warm up) wrote some of them
                readUntil(results, seen, () -> seen.size() >= JOBS / 4 && seen.size() > survivorIntake.results());
                assertThat(survivorIntake.results()).as("the survivor shares the work").isPositive();
                doomed.kill();
                readUntil(results, seen, JOBS);
                assertThat(survivorIntake.results()).as("the survivor took the dead one's partitions over")
                        .isGreaterThan(JOBS / 2);
                assertEveryJobDoneWithBoundedDuplicates(seen, MAX_POLL_RECORDS);
            }
        }
    }

    /** Two backends of 10 sequences, each job about 40 ms: a batch lasts seconds, long enough to kill ilb in it. */
    private static String pool(Servers servers) {
        SimulatorOptions options = new SimulatorOptions().models("m").ttftMs(5).itlMs(2).maxNumSeqs(10);
        SimulatedBackend a = servers.backend(options);
        SimulatedBackend b = servers.backend(options);
        return PoolRoute.pool("m", "least-request", PoolRoute.backend("a", a, "capacity: 10"),
                PoolRoute.backend("b", b, "capacity: 10"));
    }

    private static void submit(TestKafka.Topics topics) {
        try (KafkaProducer<String, String> producer = TestKafka.producer()) {
            for (int i = 0; i < JOBS; i++) {
                TestKafka.send(producer, topics.requests(), "job-" + i,
                        chatLine("job-" + i).replace("\"max_tokens\":3", "\"max_tokens\":16"), KEY);
            }
        }
    }

    /** Reads results until {@code distinct} jobs have one; counts each job's results. */
    private static void readUntil(KafkaConsumer<String, String> results, Map<String, Integer> seen, int distinct) {
        readUntil(results, seen, () -> seen.size() >= distinct);
    }

    /** Reads results into {@code seen} (counts by job id) until {@code done} holds. */
    private static void readUntil(KafkaConsumer<String, String> results, Map<String, Integer> seen,
            BooleanSupplier done) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ZERO).until(() -> {
            for (ConsumerRecord<String, String> record : results.poll(Duration.ofMillis(100))) {
                seen.merge(record.key(), 1, Integer::sum);
            }
            return done.getAsBoolean();
        });
    }

    private static void assertEveryJobDoneWithBoundedDuplicates(Map<String, Integer> seen, int bound) {
        assertThat(seen).hasSize(JOBS);
        AtomicInteger duplicates = new AtomicInteger();
        seen.values().forEach(count -> duplicates.addAndGet(count - 1));
        Set<String> expected = new java.util.HashSet<>();
        for (int i = 0; i < JOBS; i++) {
            expected.add("job-" + i);
        }
        assertThat(seen.keySet()).isEqualTo(expected);
        // the jobs in flight at the kill, and those done after them but not yet committed: one poll per partition
        // consumer at most
        assertThat(duplicates.get()).as("results of jobs done twice").isLessThanOrEqualTo(bound);
        System.out.println("duplicates after the kill: " + duplicates.get());
    }
}
