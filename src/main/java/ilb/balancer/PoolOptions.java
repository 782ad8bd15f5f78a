package ilb.balancer;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import ilb.backend.Durations;

/**
 * How a pool balances, as one line in its route file: a policy name and its options in URI query style,
 * {@code customLoadBalancer: {ref: "scored?prefix=3&sloTtft=500ms"}} (values URL-decoded). The options a policy
 * takes are declared ({@link PoolOption}); a spec is checked against them before anything reads it, so that a typo
 * or a bad value fails the route with a message naming the policy, the option and the value.
 */
public final class PoolOptions {

    private final String policy;
    private final Map<String, String> values;

    private PoolOptions(String policy, Map<String, String> values) {
        this.policy = policy;
        this.values = values;
    }

    /** {@code policy} or {@code policy?name=value&name=value}. */
    public static PoolOptions parse(String spec) {
        int query = spec.indexOf('?');
        Map<String, String> values = new LinkedHashMap<>();
        if (query >= 0) {
            for (String pair : spec.substring(query + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("balancer " + spec + ": expected name=value, got " + pair);
                }
                values.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return new PoolOptions(query >= 0 ? spec.substring(0, query) : spec, values);
    }

    public String policy() {
        return policy;
    }

    /** Fails unless every option given is one of {@code known}, with a value of its kind. */
    public void check(Collection<PoolOption> known) {
        Map<String, PoolOption> byName = new LinkedHashMap<>();
        known.forEach(option -> byName.put(option.name(), option));
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(byName.keySet());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("balancer " + policy + ": unknown option(s) " + unknown
                    + "; known: " + new TreeSet<>(byName.keySet()));
        }
        values.forEach((name, value) -> parse(byName.get(name), value));
    }

    /** The option's number: as given, else its default. */
    public double number(PoolOption option) {
        return (Double) parse(option, values.getOrDefault(option.name(), option.defaultValue()));
    }

    /** The option's duration in milliseconds: as given, else its default. */
    public long millis(PoolOption option) {
        return (Long) parse(option, values.getOrDefault(option.name(), option.defaultValue()));
    }

    private Object parse(PoolOption option, String value) {
        try {
            if (option.kind() == PoolOption.Kind.DURATION) {
                return Durations.millis(value);
            }
            double number = Double.parseDouble(value);
            if (Double.isFinite(number)) {
                return number;
            }
        } catch (RuntimeException e) {
            // said below
        }
        throw new IllegalArgumentException("balancer " + policy + ": " + option.name() + " must be a "
                + option.kind().name().toLowerCase(Locale.ROOT) + ", got " + value);
    }

    @Override
    public String toString() {
        return policy + (values.isEmpty() ? "" : values.toString());
    }
}
