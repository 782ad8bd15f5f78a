package ilb.batch;

/**
 * One job as it came from {@code ilb.requests}: an OpenAI Batch API input line and the record's key and headers,
 * not yet read. The API key stays here and in the request to the model route; it is never written out.
 *
 * @param line          the record's value
 * @param key           the record's key (the job's {@code custom_id} by convention), or null
 * @param authorization the record's {@code authorization} header, or null
 * @param priority      the record's {@code ilb-priority} header, or null
 * @param source        topic, partition and offset, for the dead-letter record
 * @param attempt       1 for the first try of the job, 2 for its first retry, ...
 */
public record BatchRecord(byte[] line, String key, String authorization, String priority, String source,
        int attempt) {

    /** The same job, for its next try. */
    BatchRecord nextAttempt() {
        return new BatchRecord(line, key, authorization, priority, source, attempt + 1);
    }

    @Override
    public String toString() {
        // never the authorization
        return "batch job " + source + " attempt " + attempt;
    }
}
