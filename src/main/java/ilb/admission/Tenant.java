package ilb.admission;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import ilb.inference.ApiError;
import ilb.inference.Priority;
import org.apache.camel.spi.PropertiesComponent;

/**
 * Who is calling, known by API key (or, for batch jobs, by the Kafka topic they came on): what it may use and how
 * much, and how it ranks against other tenants.
 *
 * @param models            model names (not aliases) it may use; {@code *} for all
 * @param priority          the class of its requests unless they ask for a lower one
 * @param maxPriority       the highest class its requests may ask for ({@code x-ilb-priority})
 * @param weight            its share of a saturated pool against the other tenants of the same class
 * @param quota             its request, token and concurrency limits
 * @param stages            the stages of pools it may reach ({@code production}, {@code experimental})
 * @param requestsTopic     a Kafka topic whose jobs are its own and need no key, or null
 * @param batchResultsTopic the Kafka topic its batch results go to, so that no other tenant reads them; null for
 *                          the shared {@code ilb.results}
 * @param interactiveBatch  whether its batch jobs may ask to be served as interactive requests ({@code ilb-priority:
 *                          interactive}, or a class) rather than yield to interactive traffic
 */
public record Tenant(String name, Set<String> models, Priority priority, Priority maxPriority, double weight,
        Quota quota, Set<String> stages, String requestsTopic, String batchResultsTopic, boolean interactiveBatch) {

    public static final String PRODUCTION = "production";
    public static final String EXPERIMENTAL = "experimental";

    /** Everyone, when authentication is off. */
    public static final Tenant ANYONE = new Tenant("anyone", Set.of("*"), Priority.STANDARD, Priority.CRITICAL, 1,
            Quota.NONE, Set.of("*"), null, null, true);

    public Tenant {
        if (!priority.interactive() || !maxPriority.interactive() || priority.above(maxPriority)) {
            throw new IllegalArgumentException("tenant " + name + ": priority " + priority.label()
                    + " must be critical, standard or sheddable, and not above its maxPriority " + maxPriority.label());
        }
        if (!(weight > 0)) {
            throw new IllegalArgumentException("tenant " + name + ": weight must be above 0, not " + weight);
        }
    }

    /**
     * The tenant {@code ilb.tenant.<name>.*} describes: {@code models} (default {@code *}), {@code priority}
     * (default standard), {@code maxPriority} (default its priority), {@code weight} (default 1),
     * {@code requestsPerMinute}, {@code tokensPerMinute}, {@code maxConcurrent} (default 0: none), {@code stages}
     * (default production), {@code requestsTopic}, {@code batchResultsTopic}, {@code interactiveBatch}.
     */
    public static Tenant fromProperties(String name, PropertiesComponent properties) {
        String prefix = "ilb.tenant." + name + ".";
        if (properties.resolveProperty(prefix + "requestsPerSecond").isPresent()) {
            // an old setting left in place must not leave its tenant without a limit unnoticed
            throw new IllegalArgumentException(prefix + "requestsPerSecond is gone: set " + prefix
                    + "requestsPerMinute (and tokensPerMinute, maxConcurrent) instead");
        }
        Priority priority = priority(name, "priority", properties.resolveProperty(prefix + "priority").orElse("standard"));
        Priority maxPriority = priority(name, "maxPriority",
                properties.resolveProperty(prefix + "maxPriority").orElse(priority.label()));
        Quota quota = new Quota(number(properties, prefix + "requestsPerMinute"),
                number(properties, prefix + "tokensPerMinute"), (int) number(properties, prefix + "maxConcurrent"));
        return new Tenant(name, Set.copyOf(list(properties.resolveProperty(prefix + "models").orElse("*"))),
                priority, maxPriority, Double.parseDouble(properties.resolveProperty(prefix + "weight").orElse("1")),
                quota, Set.copyOf(list(properties.resolveProperty(prefix + "stages").orElse(PRODUCTION))),
                properties.resolveProperty(prefix + "requestsTopic").filter(t -> !t.isBlank()).orElse(null),
                properties.resolveProperty(prefix + "batchResultsTopic").filter(t -> !t.isBlank()).orElse(null),
                Boolean.parseBoolean(properties.resolveProperty(prefix + "interactiveBatch").orElse("false")));
    }

    public boolean allows(String model) {
        return models.contains("*") || models.contains(model);
    }

    /** Whether it may reach pools of {@code stage}. */
    public boolean reaches(String stage) {
        return stages.contains("*") || stages.contains(stage);
    }

    /**
     * The class of a request that asks for {@code requested} ({@code x-ilb-priority}; null or blank: the tenant's
     * own): a {@link Priority}, or the {@link ApiError} that says why not (400 not a class, 403 above its most).
     */
    public Object classFor(String requested) {
        if (requested == null || requested.isBlank()) {
            return priority;
        }
        Priority asked = Priority.ofInteractive(requested);
        if (asked == null) {
            return ApiError.badRequest("The priority asked for must be critical, standard or sheddable, not '"
                    + requested.strip() + "'.");
        }
        if (asked.above(maxPriority)) {
            return new ApiError(403, "permission_error", "priority_not_allowed", "Tenant " + name + " may ask for priority "
                    + maxPriority.label() + " at most, not " + asked.label() + ".", 0);
        }
        return asked;
    }

    private static Priority priority(String tenant, String property, String value) {
        Priority priority = Priority.ofInteractive(value);
        if (priority == null) {
            throw new IllegalArgumentException("ilb.tenant." + tenant + "." + property
                    + " must be critical, standard or sheddable, not " + value);
        }
        return priority;
    }

    private static long number(PropertiesComponent properties, String key) {
        String value = properties.resolveProperty(key).orElse("0").strip();
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, not " + value, e);
        }
    }

    static List<String> list(String value) {
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
