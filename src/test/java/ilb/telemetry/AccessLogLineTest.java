package ilb.telemetry;

import java.util.Map;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ilb.inference.ApiError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** The line {@link AccessLog} writes for a record: its text and its key-value pairs. */
class AccessLogLineTest {

    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger access = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);
    private final RequestRecords records = new RequestRecords(new AccessLog(), null);

    @BeforeEach
    void capture() {
        lines.start();
        access.addAppender(lines);
    }

    @AfterEach
    void release() {
        access.detachAppender(lines);
    }

    @Test
    void missingValuesAreDashesInTheTextAndAbsentFromThePairs() {
        RequestRecord record = records.start(RequestRecord.Entry.HTTP, "r-1", "POST /v1", null, null);
        record.answered(ApiError.notFound("model_not_found", "no"), null, 0);
        record.end();

        assertThat(lines.list).hasSize(1);
        String text = lines.list.get(0).getFormattedMessage();
        assertThat(text).startsWith("time=").contains(" request_id=r-1 entry=http tenant=- model=- ")
                .contains(" status=404 outcome=client_error backend=- attempts=0 queue_ms=- ttft_ms=- duration_ms=")
                .endsWith(" prompt_tokens=- completion_tokens=-");
        Map<String, Object> pairs = lines.list.get(0).getKeyValuePairs().stream()
                .collect(Collectors.toMap(p -> p.key, p -> p.value));
        assertThat(pairs).containsEntry("request_id", "r-1").containsEntry("status", 404)
                .doesNotContainKeys("tenant", "model", "backend", "prompt_tokens");
    }

    @Test
    void aValueWithSpacesOrQuotesIsQuoted() {
        RequestRecord record = records.start(RequestRecord.Entry.GRPC, "a \"b\"", "x", null, null);
        record.tenant("team a");
        record.end();

        assertThat(lines.list.get(0).getFormattedMessage()).contains(" request_id=\"a \\\"b\\\"\" ")
                .contains(" tenant=\"team a\" ");
    }

    @Test
    void nothingIsRecordedWhenTheAccessLogAndTracingAreOff() {
        assertThat(RequestRecords.OFF.start(RequestRecord.Entry.HTTP, "r", "x", null, null)).isNull();
        assertThat(RequestRecords.OFF.enabled()).isFalse();
    }
}
