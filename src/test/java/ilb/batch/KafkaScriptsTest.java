package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import ilb.Appliance;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kafka/start and kafka/stop: a real standalone broker from the project's jars, with ilb's topics. */
class KafkaScriptsTest {

    @TempDir
    Path dir;

    @Test
    void startRunsABrokerWithIlbsTopicsAndStopEndsIt() throws Exception {
        Map<String, String> env = Map.of("KAFKA_PORT", String.valueOf(Appliance.freePort()),
                "KAFKA_CONTROLLER_PORT", String.valueOf(Appliance.freePort()), "KAFKA_DATA", dir.toString(),
                "KAFKA_HEAP_OPTS", "-Xmx256m");
        String start = run("kafka/start", env);
        assertThat(start).contains("created ilb.requests, ilb.results, ilb.requests.dlq");
        try {
            long pid = Long.parseLong(Files.readString(dir.resolve("kafka.pid")).trim());
            assertThat(ProcessHandle.of(pid)).isPresent();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:" + env.get("KAFKA_PORT")))) {
                Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                assertThat(topics).contains("ilb.requests", "ilb.results", "ilb.requests.dlq");
                assertThat(admin.describeTopics(List.of("ilb.requests")).allTopicNames().get().get("ilb.requests")
                        .partitions()).hasSize(6);
            }
            assertThat(run("kafka/start", env)).contains("already running");
            assertThat(run("kafka/stop", env)).contains("stopped");
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        } finally {
            run("kafka/stop", env);
        }
    }

    private static String run(String script, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", script).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }
}
