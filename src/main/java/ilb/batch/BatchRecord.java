package ilb.batch;

import ilb.inference.ApiError;

/**
 * One job as it came from a requests topic: an OpenAI Batch API input line and the record's key and headers,
 * and what its tries so far have settled. The API key stays here and in the request to the model route; it is never
 * written out.
 *
 * @param line          the record's value
 * @param key           the record's key (the job's {@code custom_id} by convention), or null
 * @param authorization the record's {@code authorization} header, or null
 * @param priority      the record's {@code ilb-priority} header, or null
 * @param topic         the topic it came on, which may be its tenant's own ({@link RequestTopics})
 * @param source        topic, partition and offset, for the dead-letter record
 * @param attempt       1 for the first try of the job, 2 for its first retry, ...
 * @param admitted      the job as admitted by its first try, so that retries neither read it nor spend the tenant's
 *                      rate again; null until then
 * @param giveUp        why the job is to be dead-lettered on this try without being sent anywhere, or null
 */
public record BatchRecord(byte[] line, String key, String authorization, String priority, String topic, String source,
        int attempt, BatchAdmission.Admitted admitted, ApiError giveUp) {

    static BatchRecord of(byte[] line, String key, String authorization, String priority, String topic,
            String source) {
        return new BatchRecord(line, key, authorization, priority, topic, source, 1, null, null);
    }

    /** The same job, for its next try. */
    BatchRecord nextAttempt() {
        return new BatchRecord(line, key, authorization, priority, topic, source, attempt + 1, admitted, null);
    }

    BatchRecord withAdmitted(BatchAdmission.Admitted newAdmitted) {
        return new BatchRecord(line, key, authorization, priority, topic, source, attempt, newAdmitted, giveUp);
    }

    /** The same job, to be dead-lettered for {@code reason} on its next try. */
    BatchRecord givingUp(ApiError reason) {
        return new BatchRecord(line, key, authorization, priority, topic, source, attempt, admitted, reason);
    }

    @Override
    public String toString() {
        // never the authorization
        return "batch job " + source + " attempt " + attempt;
    }
}
