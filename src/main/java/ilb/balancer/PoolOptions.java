package ilb.balancer;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import ilb.backend.Durations;

/**
 * How a pool balances, as one line in its route file: a policy name and its options in URI query style,
 * {@code customLoadBalancer: {ref: "scored?prefix=3&sloTtft=500ms"}}. Options are read by the policy and the
 * balancer; one that nobody reads is a typo, and fails the route with a clear message.
 */
public final class PoolOptions {

    private final String policy;
    private final Map<String, String> values;
    private final Set<String> read = new TreeSet<>();

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

    public double number(String name, double otherwise) {
        String value = take(name);
        if (value == null) {
            return otherwise;
        }
        try {
            double number = Double.parseDouble(value);
            if (Double.isFinite(number)) {
                return number;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("balancer " + policy + ": " + name + " must be a number, got " + value);
    }

    /** A duration ({@code 500ms}, {@code 2s}) in milliseconds; {@code otherwise} when not set. */
    public long millis(String name, long otherwise) {
        String value = take(name);
        try {
            return value == null ? otherwise : Durations.millis(value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("balancer " + policy + ": " + name + " must be a duration, got " + value);
        }
    }

    private String take(String name) {
        read.add(name);
        return values.get(name);
    }

    /** Fails if an option was given that nothing read. */
    public void checkAllRead() {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(read);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("balancer " + policy + ": unknown option(s) " + unknown
                    + "; known: " + read);
        }
    }

    @Override
    public String toString() {
        return policy + (values.isEmpty() ? "" : values.toString());
    }
}
