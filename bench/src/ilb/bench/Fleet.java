package ilb.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ilb.inference.Protocol;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;

/** Simulated model servers in the bench's own JVM, on free loopback ports; ids b0, b1, ... in order. */
final class Fleet implements AutoCloseable {

    /** One server of the fleet. */
    record Member(String id, BackendSpec spec, SimulatedBackend server) {
    }

    /** The fleet's prefix-cache counters, in prompt tokens, as its servers publish them. */
    record CacheCounters(long hits, long queries) {
        CacheCounters minus(CacheCounters earlier) {
            return new CacheCounters(hits - earlier.hits, queries - earlier.queries);
        }

        double hitRate() {
            return queries == 0 ? Double.NaN : (double) hits / queries;
        }
    }

    private static final Pattern HITS = Pattern.compile("(?m)^vllm:prefix_cache_hits_total\\{[^}]*} (\\d+)");
    private static final Pattern QUERIES = Pattern.compile("(?m)^vllm:prefix_cache_queries_total\\{[^}]*} (\\d+)");

    private final List<Member> members = new ArrayList<>();

    static Fleet start(List<BackendSpec> specs) {
        Fleet fleet = new Fleet();
        for (BackendSpec spec : specs) {
            SimulatedBackend server = SimulatedBackend.start(SimulatorOptions.parse(spec.simulatorFlags()));
            fleet.members.add(new Member("b" + fleet.members.size(), spec, server));
        }
        return fleet;
    }

    List<Member> members() {
        return members;
    }

    /** What its servers serve: HTTP, or KServe v2 over gRPC (then the systems in front of it serve gRPC too). */
    Protocol protocol() {
        return members.get(0).spec().protocol();
    }

    Member member(int index) {
        return members.get(index);
    }

    /** Inference requests each server has received so far, in fleet order. */
    long[] inferenceRequests() {
        return members.stream().mapToLong(m -> m.server().inferenceRequests()).toArray();
    }

    /** The sum of every server's prefix-cache counters, read from its {@code /metrics} as a scraper would. */
    CacheCounters prefixCache() {
        long hits = 0;
        long queries = 0;
        for (Member member : members) {
            String metrics = Http.get(member.server().url() + "/metrics").body();
            hits += counter(HITS, metrics);
            queries += counter(QUERIES, metrics);
        }
        return new CacheCounters(hits, queries);
    }

    private static long counter(Pattern pattern, String metrics) {
        Matcher matcher = pattern.matcher(metrics);
        if (!matcher.find()) {
            throw new IllegalStateException("no " + pattern + " in /metrics");
        }
        return Long.parseLong(matcher.group(1));
    }

    @Override
    public void close() {
        members.forEach(m -> m.server().close());
    }
}
