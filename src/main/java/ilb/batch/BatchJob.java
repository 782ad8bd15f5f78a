package ilb.batch;

/**
 * A batch job's identity on its way through the route.
 *
 * @param customId the job's {@code custom_id}, or the record's key if the line has none it can read (may be null)
 * @param record   the job as it came, for a dead-letter record
 */
public record BatchJob(String customId, BatchRecord record) {
}
