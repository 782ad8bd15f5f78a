package ilb.batch;

import static ilb.batch.BatchJobsTest.JSON;
import static ilb.batch.BatchJobsTest.chatLine;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import ilb.Appliance;
import ilb.IlbCommand;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What a user submits jobs with: ilb batch submit and collect, and Kafka's own console producer. */
class SubmitAndCollectTest {

    @TempDir
    Path dir;

    @Test
    void theCliSubmitsAJsonlFileAndCollectsEveryResultIntoAnother() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(2);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            servers.ilb(PoolRoute.pool("m", "least-request", PoolRoute.backend("a", backend)), topics.ilbProperties());
            Path jobs = dir.resolve("jobs.jsonl");
            List<String> lines = new java.util.ArrayList<>(IntStream.range(0, 20).mapToObj(i -> chatLine("job-" + i))
                    .toList());
            lines.add(chatLine("lost").replace("\"model\":\"m\"", "\"model\":\"nope\""));
            Files.write(jobs, lines);
            String[] topicOptions = {"--bootstrap-server", TestKafka.bootstrap(), "--requests-topic", topics.requests(),
                "--results-topic", topics.results(), "--dlq-topic", topics.dlq()};

            // a result of an earlier batch that used the same ids: not this batch's
            try (var producer = TestKafka.producer()) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topics.results(), null,
                        System.currentTimeMillis() - 600_000, "job-0", "{\"custom_id\":\"job-0\",\"stale\":true}")).get();
            }
            StringWriter output = new StringWriter();
            CommandLine cli = IlbCommand.commandLine(Map.of("ILB_API_KEY", Appliance.API_KEY));
            cli.setOut(new PrintWriter(output, true));
            assertThat(cli.execute(concat(new String[] {"batch", "submit", jobs.toString()}, topicOptions))).isZero();
            Path results = dir.resolve("results.jsonl");
            assertThat(cli.execute(concat(new String[] {"batch", "collect", "--timeout", "60s", jobs.toString(),
                results.toString()}, topicOptions))).isZero();

            List<String> collected = Files.readAllLines(results);
            assertThat(collected).hasSize(20);
            assertThat(collected).allSatisfy(line -> assertThat(line).contains("\"status_code\":200")
                    .doesNotContain("stale"));
            assertThat(collected.stream().map(line -> line.replaceAll(".*\"custom_id\":\"([^\"]+)\".*", "$1"))
                    .distinct()).hasSize(20);
            List<String> errors = Files.readAllLines(dir.resolve("results.jsonl.errors.jsonl"));
            assertThat(errors).hasSize(1);
            assertThat(JSON.readTree(errors.get(0)).at("/error/code").asText()).isEqualTo("model_not_found");
            assertThat(output.toString())
                    .contains("submitted 21 jobs")
                    .contains("collected 21 of 21: 20 results").contains("1 dead letters").contains("0 duplicates");
        }
    }

    /** kafka-console-producer, the standard tool, with the API key as a record header. */
    @Test
    void kafkasConsoleProducerSubmitsJobs() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        try (Servers servers = new Servers()) {
            SimulatedBackend backend = servers.fastBackend();
            servers.ilb(PoolRoute.pool("m", "least-request", PoolRoute.backend("a", backend)), topics.ilbProperties());
            Process producer = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                    "-cp", System.getProperty("java.class.path"), "-Dilb.log.level=WARN", "kafka.tools.ConsoleProducer",
                    "--bootstrap-server", TestKafka.bootstrap(), "--topic", topics.requests(),
                    "--property", "parse.headers=true")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("producer.log").toFile()).start();
            try (OutputStream stdin = producer.getOutputStream()) {
                for (String id : List.of("console-1", "console-2")) {
                    stdin.write(("authorization:Bearer " + Appliance.API_KEY + "\t" + chatLine(id) + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
            assertThat(producer.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(producer.exitValue()).as(Files.readString(dir.resolve("producer.log"))).isZero();
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                List<ConsumerRecord<String, String>> read = TestKafka.readAtLeast(results, 2, Duration.ofSeconds(30));
                // the console producer sends no key: the result is keyed by the line's custom_id
                assertThat(read).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("console-1", "console-2");
                assertThat(read).allSatisfy(record -> assertThat(JSON.readTree(record.value())
                        .at("/response/status_code").asInt()).isEqualTo(200));
            }
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
