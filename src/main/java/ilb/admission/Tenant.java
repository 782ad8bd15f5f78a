package ilb.admission;

import java.util.Set;

/**
 * Who is calling, known by API key: which models it may use and how fast it may send requests.
 *
 * @param models             model names (not aliases) it may use; {@code *} for all
 * @param rate               its request rate limit, or null for none
 * @param batchResultsTopic  the Kafka topic its batch results go to, so that no other tenant reads them; null for
 *                           the shared {@code ilb.results}
 * @param interactiveBatch   whether its batch jobs may ask to be treated as interactive ({@code ilb-priority:
 *                           interactive}) rather than yield to interactive traffic
 */
public record Tenant(String name, Set<String> models, TokenBucket rate, String batchResultsTopic,
        boolean interactiveBatch) {

    /** Everyone, when authentication is off. */
    public static final Tenant ANYONE = new Tenant("anyone", Set.of("*"), null, null, true);

    public boolean allows(String model) {
        return models.contains("*") || models.contains(model);
    }
}
