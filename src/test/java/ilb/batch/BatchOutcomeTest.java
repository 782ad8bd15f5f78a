package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ilb.inference.ApiError;
import ilb.inference.ExchangeProperties;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

class BatchOutcomeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final BatchOutcome outcome = new BatchOutcome("dead", 3);

    @Test
    void aBackendsAnswerIsTheJobsResultLineWhateverItsStatus() throws Exception {
        Exchange ok = process(HttpReply.json(200, "{\"object\":\"chat.completion\"}"), 1);
        assertThat(ok.getProperty(BatchOutcome.KIND)).isEqualTo(BatchOutcome.Kind.RESULT);
        assertThat(ok.getMessage().getHeader(KafkaConstants.KEY)).isEqualTo("job-1");
        assertThat(ok.getMessage().getHeader(KafkaConstants.OVERRIDE_TOPIC)).isNull();
        assertThat(ok.getMessage().getHeader("ilb-backend")).isEqualTo("gpu-0");
        JsonNode line = JSON.readTree(ok.getMessage().getBody(byte[].class));
        assertThat(line.get("custom_id").asText()).isEqualTo("job-1");
        assertThat(line.at("/response/status_code").asInt()).isEqualTo(200);
        assertThat(line.at("/response/body/object").asText()).isEqualTo("chat.completion");
        assertThat(line.get("error").isNull()).isTrue();

        Exchange refused = process(new HttpReply(400, Map.of("x-request-id", "r-7"), "not json".getBytes()), 1);
        assertThat(refused.getProperty(BatchOutcome.KIND)).isEqualTo(BatchOutcome.Kind.RESULT);
        JsonNode refusedLine = JSON.readTree(refused.getMessage().getBody(byte[].class));
        assertThat(refusedLine.at("/response/status_code").asInt()).isEqualTo(400);
        assertThat(refusedLine.at("/response/request_id").asText()).isEqualTo("r-7");
        assertThat(refusedLine.at("/response/body").asText()).isEqualTo("not json");
    }

    @Test
    void overloadedOrFailingBackendsMeanTryAgainUntilTheLastAttempt() {
        assertThat(kind(HttpReply.json(503, "{}"), 1)).isEqualTo(BatchOutcome.Kind.RETRY);
        assertThat(kind(HttpReply.json(429, "{}"), 2)).isEqualTo(BatchOutcome.Kind.RETRY);
        assertThat(kind(ApiError.gatewayTimeout("slow"), 2)).isEqualTo(BatchOutcome.Kind.RETRY);
        Exchange last = process(HttpReply.json(502, "{}"), 3);
        assertThat(last.getProperty(BatchOutcome.KIND)).isEqualTo(BatchOutcome.Kind.DEAD_LETTER);
        assertThat(last.getMessage().getHeader("ilb-error-code")).isEqualTo("retries_exhausted");
        assertThat(last.getMessage().getHeader("ilb-error", String.class)).contains("after 3 attempts")
                .contains("HTTP 502 from backend gpu-0");
    }

    @Test
    void noSpareCapacityAndTheTenantsRateMeanWaitWithoutUsingAnAttempt() {
        Exchange deferred = process(ApiError.unavailable("no_spare_capacity", "busy", 1), 3);
        assertThat(deferred.getProperty(BatchOutcome.KIND)).isEqualTo(BatchOutcome.Kind.DEFER);
        assertThat(deferred.isRouteStop()).isTrue();
        assertThat(deferred.getProperty(BatchOutcome.RETRY_AFTER_MILLIS)).isEqualTo(0L);
        Exchange rate = process(new ApiError(429, "rate_limit_error", "rate_limit_exceeded", "slow down", 2), 3);
        assertThat(rate.getProperty(BatchOutcome.KIND)).isEqualTo(BatchOutcome.Kind.DEFER);
        assertThat(rate.getProperty(BatchOutcome.RETRY_AFTER_MILLIS)).isEqualTo(2000L);
    }

    @Test
    void whatIlbRefusesIsADeadLetterWithTheReasonAndTheLineAsItCame() throws Exception {
        Exchange dead = process(ApiError.notFound("model_not_found", "The model `x` does not exist."), 1);
        assertThat(dead.getProperty(BatchOutcome.KIND)).isEqualTo(BatchOutcome.Kind.DEAD_LETTER);
        assertThat(dead.getMessage().getHeader(KafkaConstants.OVERRIDE_TOPIC)).isEqualTo("dead");
        assertThat(dead.getMessage().getHeader("ilb-error-code")).isEqualTo("model_not_found");
        assertThat(dead.getMessage().getHeader("ilb-source")).isEqualTo("jobs/0@41");
        JsonNode record = JSON.readTree(dead.getMessage().getBody(byte[].class));
        assertThat(record.at("/error/message").asText()).isEqualTo("The model `x` does not exist.");
        assertThat(record.get("line").asText()).isEqualTo("{\"custom_id\":\"job-1\"}");
    }

    @Test
    void anAnswerOverIlbsSizeCapIsADeadLetterNotARetry() {
        Exchange dead = process(new ApiError(502, "server_error", "response_too_large", "over 16 MiB", 0), 1);
        assertThat(dead.getProperty(BatchOutcome.KIND)).isEqualTo(BatchOutcome.Kind.DEAD_LETTER);
        assertThat(dead.getMessage().getHeader("ilb-error-code")).isEqualTo("response_too_large");
    }

    @Test
    void aJobGivenUpOnIsDeadLetteredWhateverItsErrorAndTheDeadLetterKeptToWriteAgain() {
        ApiError given = new ApiError(503, "server_error", "retries_exhausted", "gave up", 0);
        BatchRecord record = new BatchRecord("{}".getBytes(StandardCharsets.UTF_8), "job-1", null, null, "jobs",
                "jobs/0@41", 8, null, given);
        Exchange dead = process(record, "job-1", given);
        assertThat(dead.getProperty(BatchOutcome.KIND)).isEqualTo(BatchOutcome.Kind.DEAD_LETTER);
        assertThat(dead.getProperty(BatchOutcome.DEAD_LETTER, ApiError.class))
                .extracting(ApiError::code, ApiError::message).containsExactly("retries_exhausted", "gave up");
    }

    /** A job as large as Kafka takes, every field at its worst, still has a dead letter far below 1 MiB. */
    @Test
    void aDeadLetterIsBoundedHoweverLargeItsJob() throws Exception {
        String huge = "\u0001".repeat(900_000);
        String line = "{\"custom_id\":\"" + huge + "\"}";
        BatchRecord record = new BatchRecord(line.getBytes(StandardCharsets.UTF_8), huge, null, null, "jobs",
                "jobs/0@41", 1, null, null);
        Exchange dead = process(record, huge, ApiError.notFound("model_not_found", "The model `" + huge
                + "` does not exist."));
        var message = dead.getMessage();
        byte[] value = message.getBody(byte[].class);
        long headerBytes = message.getHeaders().values().stream()
                .mapToLong(v -> String.valueOf(v).getBytes(StandardCharsets.UTF_8).length).sum();
        assertThat(value.length + headerBytes).isLessThan(512 * 1024);
        assertThat(message.getHeader(KafkaConstants.KEY, String.class)).hasSize(512);
        assertThat(message.getHeader("ilb-error", String.class)).hasSizeLessThan(2100).endsWith("[...]");
        JsonNode deadLetter = JSON.readTree(value);
        assertThat(deadLetter.get("custom_id").asText()).isEqualTo(huge.substring(0, 512));
        assertThat(deadLetter.get("custom_id_truncated").asBoolean()).isTrue();
        assertThat(deadLetter.get("line").asText()).hasSize(64 * 1024);
        assertThat(deadLetter.get("line_truncated").asBoolean()).isTrue();
        assertThat(deadLetter.at("/error/message").asText()).startsWith("The model `\u0001").hasSizeLessThan(2100);
    }

    @Test
    void aCutNeverSplitsACharacter() {
        String emoji = "\uD83D\uDE00";
        assertThat(RecordBounds.cut("a" + emoji, 2)).isEqualTo("a");
        assertThat(RecordBounds.cut("a" + emoji, 3)).isEqualTo("a" + emoji);
    }

    private BatchOutcome.Kind kind(InferenceMessage response, int attempt) {
        return process(response, attempt).getProperty(BatchOutcome.KIND, BatchOutcome.Kind.class);
    }

    private Exchange process(InferenceMessage response, int attempt) {
        return process(new BatchRecord("{\"custom_id\":\"job-1\"}".getBytes(StandardCharsets.UTF_8), "job-1",
                null, null, "jobs", "jobs/0@41", attempt, null, null), "job-1", response);
    }

    private Exchange process(BatchRecord record, String customId, InferenceMessage response) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setProperty(BatchAdmission.JOB, new BatchJob(customId, record));
        exchange.setProperty(ExchangeProperties.BACKEND, "gpu-0");
        exchange.getMessage().setBody(response);
        try {
            outcome.process(exchange);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return exchange;
    }
}
