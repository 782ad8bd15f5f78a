package ilb.bench;

import java.util.OptionalDouble;

/**
 * An ilb of a lineup, {@code ilb <policy spec> [capacity=<n> | urls-only] [tls] [tracing=<share>] [earlier]}: the policy
 * spec
 * (its pool route's {@code customLoadBalancer} ref, options in URI-query style), what its pool route says of each
 * server beside its url, and how it serves its clients.
 *
 * @param policy   the policy spec, e.g. {@code scored?sloTtft=500ms&sloTpot=50ms}
 * @param capacity every server's capacity instead of its own ({@code capacity=<n>}); 0: each server's own
 * @param urlsOnly the route lists the servers' urls and nothing else ({@code urls-only}): no tier, capacity, weight,
 *                 hardware or health interval, as a new user would write it; ilb finds out the rest by itself
 * @param tls      it serves HTTPS on its HTTP port with the bench's certificate ({@code tls}: {@link BenchTls})
 * @param tracing  the share of requests it traces ({@code tracing=<share>}, 1 for all), exporting spans over
 *                 OTLP/HTTP to a sink of the bench's ({@link OtlpSink}); empty: tracing off
 * @param earlier  the build of another checkout ({@code earlier}: {@code bench/run --earlier <checkout>}), e.g. the
 *                 commit before a change, its routes and classes: what the change costs, side by side in one run
 */
record IlbSpec(String policy, int capacity, boolean urlsOnly, boolean tls, OptionalDouble tracing, boolean earlier) {

    private static final String PREFIX = "ilb ";

    /** The policy, every server with its own tier, capacity and hardware. */
    static IlbSpec of(String policy) {
        return new IlbSpec(policy, 0, false, false, OptionalDouble.empty(), false);
    }

    /** Whether a lineup's system is an ilb. */
    static boolean names(String system) {
        return system.startsWith(PREFIX);
    }

    /** A lineup's {@code ilb <policy spec> [capacity=<n> | urls-only] [tls] [tracing=<share>] [earlier]}. */
    static IlbSpec parse(String system) {
        if (!names(system)) {
            throw new IllegalArgumentException("not an ilb: " + system);
        }
        String[] words = system.substring(PREFIX.length()).split(" ");
        IlbSpec spec = of(words[0]);
        for (int i = 1; i < words.length; i++) {
            String word = words[i];
            if (word.equals("urls-only") && spec.capacity == 0) {
                spec = new IlbSpec(spec.policy, 0, true, spec.tls, spec.tracing, spec.earlier);
            } else if (word.startsWith("capacity=") && !spec.urlsOnly) {
                spec = new IlbSpec(spec.policy, Integer.parseInt(word.substring("capacity=".length())), false,
                        spec.tls, spec.tracing, spec.earlier);
            } else if (word.equals("tls")) {
                spec = new IlbSpec(spec.policy, spec.capacity, spec.urlsOnly, true, spec.tracing, spec.earlier);
            } else if (word.startsWith("tracing=")) {
                spec = new IlbSpec(spec.policy, spec.capacity, spec.urlsOnly, spec.tls,
                        OptionalDouble.of(Double.parseDouble(word.substring("tracing=".length()))), spec.earlier);
            } else if (word.equals("earlier")) {
                spec = new IlbSpec(spec.policy, spec.capacity, spec.urlsOnly, spec.tls, spec.tracing, true);
            } else {
                throw new IllegalArgumentException("expected ilb <policy spec> [capacity=<n> | urls-only] [tls] "
                        + "[tracing=<share>] [earlier], got: " + system);
            }
        }
        return spec;
    }
}
