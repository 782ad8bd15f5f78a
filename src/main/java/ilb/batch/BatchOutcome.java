package ilb.batch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ilb.admission.Tenant;
import ilb.inference.ApiError;
import ilb.inference.BackendStream;
import ilb.inference.ExchangeProperties;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.telemetry.RequestRecords;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * The last step of a batch job's route before Kafka: what its response means for the job.
 * <ul>
 * <li>A backend's answer (any status but 429, 502, 503, 504) is the job's result: an OpenAI Batch API output line
 * for {@code ilb.results} (or the tenant's own results topic), keyed by {@code custom_id}.</li>
 * <li>A job ilb cannot do (not JSON, unknown model, no key, retries exhausted, an answer over ilb's size cap)
 * becomes a dead-letter record for {@code ilb.requests.dlq}: the reason in its value and in its headers, with the
 * line as it came.</li>
 * <li>A job that may still succeed later (backends failing or overloaded) is tried again by {@link BatchIntake}:
 * {@link Kind#RETRY} counts as an attempt, {@link Kind#DEFER} (no spare capacity, the tenant's rate) does not.</li>
 * </ul>
 */
public final class BatchOutcome implements Processor {

    /** Exchange property: the {@link Kind} of outcome. */
    public static final String KIND = "ilb.batch.outcome";
    /** Exchange property: for {@link Kind#RETRY} and {@link Kind#DEFER}, the least wait before the next try (ms). */
    public static final String RETRY_AFTER_MILLIS = "ilb.batch.retryAfterMillis";
    /** Exchange property: for {@link Kind#DEAD_LETTER}, the {@link ApiError} it says, to write it again if need be. */
    public static final String DEAD_LETTER = "ilb.batch.deadLetter";

    public enum Kind { RESULT, DEAD_LETTER, RETRY, DEFER }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String deadLetterTopic;
    private final int maxAttempts;

    /** @param maxAttempts tries of a job that keeps failing before it goes to the dead-letter topic */
    public BatchOutcome(String deadLetterTopic, int maxAttempts) {
        this.deadLetterTopic = deadLetterTopic;
        this.maxAttempts = maxAttempts;
    }

    @Override
    public void process(Exchange exchange) throws IOException {
        BatchJob job = exchange.getProperty(BatchAdmission.JOB, BatchJob.class);
        InferenceMessage response = exchange.getMessage().getBody(InferenceMessage.class);
        String backend = exchange.getProperty(ExchangeProperties.BACKEND, String.class);
        RequestRecords.answered(exchange, response);
        if (job.record().giveUp() != null) {
            // given up on by the intake: dead-lettered whatever its error, never tried again
            deadLetter(exchange, job, job.record().giveUp().code(), job.record().giveUp().message());
        } else if (response instanceof HttpReply reply && !retryable(reply.status())) {
            result(exchange, job, reply, backend);
        } else if (response instanceof HttpReply reply) {
            again(exchange, job, Kind.RETRY, "HTTP " + reply.status() + " from backend " + backend, "backend_error",
                    reply.retryAfterMillis(0));
        } else if (response instanceof ApiError error && error.code().equals("no_spare_capacity")) {
            // offered again soon (ilb.batch.deferMillis), not after the whole second a client would be told
            again(exchange, job, Kind.DEFER, error.message(), error.code(), 0);
        } else if (response instanceof ApiError error && error.code().equals("rate_limit_exceeded")) {
            again(exchange, job, Kind.DEFER, error.message(), error.code(), error.retryAfterSeconds() * 1000L);
        } else if (response instanceof ApiError error && error.code().equals("response_too_large")) {
            // the backend's answer was over ilb's size cap: it would be as large next time
            deadLetter(exchange, job, error.code(), error.message());
        } else if (response instanceof ApiError error && retryable(error.status())) {
            again(exchange, job, Kind.RETRY, error.message(), error.code(), error.retryAfterSeconds() * 1000L);
        } else if (response instanceof ApiError error) {
            deadLetter(exchange, job, error.code(), error.message());
        } else {
            if (response instanceof BackendStream stream) {
                stream.cancel();
            }
            deadLetter(exchange, job, "internal_error", "unexpected response " + response);
        }
    }

    private static boolean retryable(int status) {
        return status == 429 || status == 502 || status == 503 || status == 504;
    }

    private void again(Exchange exchange, BatchJob job, Kind kind, String reason, String code, long afterMillis)
            throws IOException {
        if (kind == Kind.RETRY && job.record().attempt() >= maxAttempts) {
            deadLetter(exchange, job, "retries_exhausted", "gave up after " + job.record().attempt()
                    + " attempts; the last: " + reason + " (" + code + ")");
            return;
        }
        exchange.setProperty(KIND, kind);
        exchange.setProperty(RETRY_AFTER_MILLIS, afterMillis);
        exchange.setRouteStop(true);
    }

    /** {@code {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error": null}} */
    private static void result(Exchange exchange, BatchJob job, HttpReply reply, String backend) throws IOException {
        ObjectNode line = JSON.createObjectNode();
        line.put("id", "batch_req_" + UUID.randomUUID().toString().replace("-", ""));
        line.put("custom_id", job.customId());
        ObjectNode response = line.putObject("response");
        response.put("status_code", reply.status());
        String requestId = reply.headers().get("x-request-id");
        response.put("request_id", requestId != null ? requestId : "req_" + UUID.randomUUID().toString().replace("-", ""));
        response.set("body", body(reply.body()));
        line.putNull("error");
        exchange.setProperty(KIND, Kind.RESULT);
        var message = exchange.getMessage();
        message.setBody(JSON.writeValueAsBytes(line));
        message.setHeader(KafkaConstants.KEY, job.customId());
        Tenant tenant = exchange.getProperty(ExchangeProperties.TENANT, Tenant.class);
        if (tenant != null && tenant.batchResultsTopic() != null) {
            message.setHeader(KafkaConstants.OVERRIDE_TOPIC, tenant.batchResultsTopic());
        }
        if (backend != null) {
            message.setHeader("ilb-backend", backend);
        }
        message.setHeader("ilb-attempts", String.valueOf(job.record().attempt()));
    }

    /** The backend's body as JSON when it is JSON (as it is from OpenAI and KServe servers), else as a string. */
    private static JsonNode body(byte[] body) {
        try {
            JsonNode tree = JSON.readTree(body);
            if (tree != null && !tree.isMissingNode()) {
                return tree;
            }
        } catch (IOException e) {
            // not JSON: kept as text below
        }
        return JSON.getNodeFactory().textNode(new String(body, StandardCharsets.UTF_8));
    }

    /**
     * {@code {"custom_id", "error": {"code", "message"}, "attempts", "source", "line"}}, reason also in headers. Each
     * field is bounded ({@link RecordBounds}), so that a job however large still has a dead letter Kafka takes.
     */
    private void deadLetter(Exchange exchange, BatchJob job, String code, String reason) throws IOException {
        String customId = RecordBounds.cut(job.customId(), RecordBounds.CUSTOM_ID_CHARS);
        String message = RecordBounds.message(reason);
        String source = RecordBounds.cut(job.record().source(), RecordBounds.MESSAGE_CHARS);
        ObjectNode record = JSON.createObjectNode();
        record.put("custom_id", customId);
        if (customId != null && customId.length() < job.customId().length()) {
            record.put("custom_id_truncated", true);
        }
        record.putObject("error").put("code", code).put("message", message);
        record.put("attempts", job.record().attempt());
        record.put("source", source);
        String line = new String(job.record().line(), StandardCharsets.UTF_8);
        record.put("line", RecordBounds.cut(line, RecordBounds.LINE_CHARS));
        if (line.length() > RecordBounds.LINE_CHARS) {
            record.put("line_truncated", true);
        }
        exchange.setProperty(KIND, Kind.DEAD_LETTER);
        exchange.setProperty(DEAD_LETTER, new ApiError(500, "server_error", code, message, 0));
        var out = exchange.getMessage();
        out.setBody(JSON.writeValueAsBytes(record));
        out.setHeader(KafkaConstants.OVERRIDE_TOPIC, deadLetterTopic);
        if (customId != null) {
            out.setHeader(KafkaConstants.KEY, customId);
        }
        out.setHeader("ilb-error-code", code);
        out.setHeader("ilb-error", message);
        out.setHeader("ilb-attempts", String.valueOf(job.record().attempt()));
        out.setHeader("ilb-source", source);
    }
}
