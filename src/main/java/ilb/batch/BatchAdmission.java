package ilb.batch;

import java.io.IOException;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ilb.admission.ApiKeys;
import ilb.admission.Tenant;
import ilb.inference.ApiError;
import ilb.inference.ExchangeProperties;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.inference.Priority;
import ilb.inference.Protocol;
import ilb.protocols.HttpApi;
import ilb.telemetry.RefusalMeters;
import ilb.telemetry.RequestRecord;
import ilb.telemetry.RequestRecords;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The first step of a batch job's route: reads its OpenAI Batch API input line
 * ({@code {"custom_id", "method", "url", "body"}}; a custom_id of at most {@value RecordBounds#CUSTOM_ID_CHARS}
 * characters, a url exactly one of the API's inference paths: {@link BatchUrl}) and admits it as the HTTP entry
 * admits a request: the tenant by its topic if that is a tenant's own ({@link RequestTopics}), else by the record's
 * {@code authorization} header ({@link ApiKeys}), the model by its name or alias and version ({@link HttpApi}). The
 * body becomes an {@link InferenceRequest} of
 * {@link Priority#BATCH} (or an interactive class, when the record's {@code ilb-priority} header asks for one and
 * its tenant may ask that), or the {@link ApiError} that says why the job cannot be done. The job's identity travels
 * on as the {@link #JOB} property. A retry reuses what its first try admitted: the line is not read, nor the
 * tenant's limits spent, twice.
 */
public final class BatchAdmission implements Processor {

    /** Exchange property: the {@link BatchJob} being done. */
    public static final String JOB = "ilb.batch.job";
    /** Exchange property: the {@link Admitted} job, once its first try admitted it. */
    public static final String ADMITTED = "ilb.batch.admitted";

    /** A job admitted: its tenant and its request, kept for its retries. */
    public record Admitted(Tenant tenant, InferenceRequest request) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ApiKeys apiKeys;
    private final RequestTopics topics;
    private final HttpApi httpApi;
    private final RefusalMeters refusals;

    /** @param refusals counts the jobs refused at their first try, which go to the dead letter topic */
    public BatchAdmission(ApiKeys apiKeys, RequestTopics topics, HttpApi httpApi, RefusalMeters refusals) {
        this.apiKeys = apiKeys;
        this.topics = topics;
        this.httpApi = httpApi;
        this.refusals = refusals;
    }

    @Override
    public void process(Exchange exchange) {
        BatchRecord record = exchange.getMessage().getBody(BatchRecord.class);
        JsonNode line = null;
        String lineError = null;
        try {
            line = JSON.readTree(record.line());
        } catch (IOException e) {
            lineError = "The line is not valid JSON: " + ApiError.firstLine(e.getMessage());
        }
        String customId = line != null && line.path("custom_id").isTextual() ? line.get("custom_id").asText()
                : record.key();
        exchange.setProperty(JOB, new BatchJob(customId, record));
        InferenceMessage body;
        if (record.giveUp() != null) {
            body = record.giveUp();
        } else if (record.admitted() != null) {
            exchange.setProperty(ExchangeProperties.TENANT, record.admitted().tenant());
            body = record.admitted().request();
        } else if (lineError != null) {
            body = ApiError.badRequest(lineError);
        } else {
            try {
                body = admit(exchange, record, line);
            } catch (RuntimeException e) {
                // whatever else a line may break on: the job cannot be done, and saying why is enough
                body = ApiError.badRequest("The job could not be read: " + e.getMessage());
            }
        }
        if (body instanceof ApiError refused && record.giveUp() == null) {
            // a job is read as an HTTP request is: its protocol label is http, as when a pool answers it
            refusals.refused(Protocol.HTTP, exchange.getProperty(ExchangeProperties.TENANT, Tenant.class), null,
                    refused);
        }
        exchange.getMessage().setBody(body);
        RequestRecord requestRecord = RequestRecords.of(exchange);
        if (requestRecord != null && body instanceof InferenceRequest request) {
            requestRecord.request(request);
        }
    }

    /**
     * A job's class: batch, unless its {@code ilb-priority} header asks to be served as an interactive request
     * ({@code interactive}: its tenant's class, or a class no higher than its tenant's most), which only a tenant
     * allowed to may ask; its other jobs yield.
     *
     * @return a {@link Priority}, or the {@link ApiError} of a class its tenant may not ask for
     */
    private static Object priority(Tenant tenant, String requested) {
        if (!tenant.interactiveBatch() || requested == null || requested.isBlank()) {
            return Priority.BATCH;
        }
        return "interactive".equalsIgnoreCase(requested.strip()) ? tenant.priority() : tenant.classFor(requested);
    }

    private InferenceMessage admit(Exchange exchange, BatchRecord record, JsonNode line) {
        if (line == null || !line.isObject()) {
            return ApiError.badRequest("A batch line must be a JSON object with custom_id, method, url and body.");
        }
        if (!line.path("custom_id").isTextual() || line.get("custom_id").asText().isEmpty()) {
            return ApiError.badRequest("'custom_id' is missing or not a string.");
        }
        if (line.get("custom_id").asText().length() > RecordBounds.CUSTOM_ID_CHARS) {
            // its result and dead letter echo it, and must fit in a Kafka record
            return ApiError.badRequest("'custom_id' is longer than " + RecordBounds.CUSTOM_ID_CHARS + " characters.");
        }
        String method = line.path("method").asText("");
        if (!method.equals("POST")) {
            return ApiError.badRequest("'method' must be \"POST\", not " + line.path("method") + ".");
        }
        if (!line.path("url").isTextual()) {
            return ApiError.badRequest("'url' is missing or not a string.");
        }
        if (!BatchUrl.accepted(line.get("url").asText())) {
            return ApiError.badRequest(BatchUrl.ACCEPTED + ", not \"" + line.get("url").asText() + "\".");
        }
        if (!line.path("body").isObject()) {
            return ApiError.badRequest("'body' is missing or not a JSON object.");
        }
        if (line.get("body").path("stream").asBoolean(false)) {
            return ApiError.badRequest("A batch job cannot stream: leave 'stream' out of its body.");
        }
        // on a tenant's own topic the topic decides, and any key the record carries is ignored
        Tenant owner = topics.owner(record.topic());
        Object admission = owner != null ? owner : apiKeys.authenticate(record.authorization());
        if (admission instanceof ApiError refusal) {
            return refusal;
        }
        Tenant tenant = (Tenant) admission;
        exchange.setProperty(ExchangeProperties.TENANT, tenant);
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(line.get("body"));
        } catch (IOException e) {
            return ApiError.internal("could not write the job's body: " + e.getMessage());
        }
        InferenceMessage read = httpApi.read(tenant, method, line.get("url").asText(),
                Map.of("content-type", "application/json"), body);
        if (read instanceof InferenceRequest request) {
            Object priority = priority(tenant, record.priority());
            if (priority instanceof ApiError refused) {
                return refused;
            }
            InferenceRequest admitted = request.withPriority((Priority) priority);
            exchange.setProperty(ADMITTED, new Admitted(tenant, admitted));
            return admitted;
        }
        return read;
    }
}
