package ilb.batch;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ilb.Appliance;
import ilb.OtlpReceiver;
import ilb.OtlpReceiver.ReceivedSpan;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.telemetry.AccessLog;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A batch job from Kafka is traced as a CONSUMER span, a child of its record's {@code traceparent}, with its attempt
 * at the backend beneath, and has its access log line.
 */
class BatchTelemetryTest {

    private static final String TRACE_ID = "5af7651916cd43dd8448eb211c80319d";
    private static final String PRODUCER_SPAN = "c7ad6b7169203332";

    private final OtlpReceiver receiver = OtlpReceiver.start();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger access = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);

    @BeforeEach
    void start() {
        System.setProperty("otel.exporter.otlp.endpoint", receiver.endpoint());
        System.setProperty("otel.bsp.schedule.delay", "20");
        lines.start();
        access.addAppender(lines);
    }

    @AfterEach
    void stop() {
        access.detachAppender(lines);
        receiver.close();
        System.clearProperty("otel.exporter.otlp.endpoint");
        System.clearProperty("otel.bsp.schedule.delay");
    }

    @Test
    void aJobIsTracedUnderItsRecordsTraceparentAndLogged() throws Exception {
        TestKafka.Topics topics = TestKafka.topics(1);
        try (Servers servers = new Servers()) {
            servers.ilb(PoolRoute.pool("m", "least-request", PoolRoute.backend("a", servers.fastBackend())),
                    topics.ilbProperties("ilb.accessLog=true"));
            Map<String, String> headers = new HashMap<>(BatchJobsTest.KEY);
            headers.put("traceparent", "00-" + TRACE_ID + "-" + PRODUCER_SPAN + "-01");
            try (KafkaProducer<String, String> producer = TestKafka.producer()) {
                TestKafka.send(producer, topics.requests(), "job-1", BatchJobsTest.chatLine("job-1"), headers);
            }
            try (KafkaConsumer<String, String> results = TestKafka.reader(topics.results())) {
                assertThat(TestKafka.readAtLeast(results, 1, Duration.ofSeconds(30))).hasSize(1);
            }

            await().untilAsserted(() -> {
                assertThat(receiver.spans()).filteredOn(s -> s.kind() == ReceivedSpan.CONSUMER).hasSize(1);
                assertThat(receiver.spans()).filteredOn(s -> s.kind() == ReceivedSpan.CLIENT).hasSize(1);
                assertThat(lines.list).hasSize(1);
            });
            ReceivedSpan job = receiver.spans().stream().filter(s -> s.kind() == ReceivedSpan.CONSUMER).findFirst()
                    .orElseThrow();
            assertThat(job.traceId()).isEqualTo(TRACE_ID);
            assertThat(job.parentSpanId()).isEqualTo(PRODUCER_SPAN);
            assertThat(job.name()).isEqualTo(topics.requests() + " process");
            assertThat(job.attributes()).containsEntry("ilb.entry", "batch").containsEntry("ilb.priority", "batch")
                    .containsEntry("ilb.outcome", "success").containsEntry("gen_ai.request.model", "m")
                    .containsEntry("ilb.tenant", "test").containsEntry("gen_ai.usage.output_tokens", 3L);
            List<ReceivedSpan> attempts = receiver.spans().stream().filter(s -> s.kind() == ReceivedSpan.CLIENT)
                    .toList();
            assertThat(attempts.get(0).parentSpanId()).isEqualTo(job.spanId());
            assertThat(lines.list.get(0).getFormattedMessage()).contains("request_id=job-1 ").contains(" entry=batch ")
                    .contains(" status=200 ").doesNotContain(Appliance.API_KEY);
        }
    }
}
