package ilb.bench;

/**
 * An ilb of a lineup, {@code ilb <policy spec> [capacity=<n> | urls-only]}: the policy spec (its pool route's
 * {@code customLoadBalancer} ref, options in URI-query style) and what its pool route says of each server beside
 * its url.
 *
 * @param policy   the policy spec, e.g. {@code scored?sloTtft=500ms&sloTpot=50ms}
 * @param capacity every server's capacity instead of its own ({@code capacity=<n>}); 0: each server's own
 * @param urlsOnly the route lists the servers' urls and nothing else ({@code urls-only}): no tier, capacity, weight,
 *                 hardware or health interval, as a new user would write it; ilb finds out the rest by itself
 */
record IlbSpec(String policy, int capacity, boolean urlsOnly) {

    private static final String PREFIX = "ilb ";

    /** The policy, every server with its own tier, capacity and hardware. */
    static IlbSpec of(String policy) {
        return new IlbSpec(policy, 0, false);
    }

    /** Whether a lineup's system is an ilb. */
    static boolean names(String system) {
        return system.startsWith(PREFIX);
    }

    /** A lineup's {@code ilb <policy spec> [capacity=<n> | urls-only]}. */
    static IlbSpec parse(String system) {
        if (!names(system)) {
            throw new IllegalArgumentException("not an ilb: " + system);
        }
        String[] words = system.substring(PREFIX.length()).split(" ");
        if (words.length == 1) {
            return of(words[0]);
        }
        if (words.length == 2 && words[1].equals("urls-only")) {
            return new IlbSpec(words[0], 0, true);
        }
        if (words.length == 2 && words[1].startsWith("capacity=")) {
            return new IlbSpec(words[0], Integer.parseInt(words[1].substring("capacity=".length())), false);
        }
        throw new IllegalArgumentException("expected ilb <policy spec> [capacity=<n> | urls-only], got: " + system);
    }
}
