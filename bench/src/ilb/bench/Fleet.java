package ilb.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import ilb.inference.Protocol;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;

/**
 * Simulated model servers on free loopback ports, in the bench's own JVM (one may have a JVM of its own, to be
 * frozen); ids b0, b1, ... in order.
 */
final class Fleet implements AutoCloseable {

    /** One server of the fleet. */
    record Member(String id, BackendSpec spec, Server server) {
    }

    /** A simulated server, wherever it runs. */
    interface Server extends AutoCloseable {

        /** {@code http://host:port}, or {@code grpc://host:port} when it serves gRPC. */
        String url();

        @Override
        void close();
    }

    /** A server in the bench's JVM: its faults and counters at hand. */
    record InProcess(SimulatedBackend simulator) implements Server {
        @Override
        public String url() {
            return simulator.url();
        }

        @Override
        public void close() {
            simulator.close();
        }
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
        specs.forEach(fleet::addInProcess);
        return fleet;
    }

    /**
     * A fleet whose server {@code ownProcess} runs in a JVM of its own ({@link SimulatorProcess}, its log under the
     * bench's work directory), the others in the bench's.
     */
    static Fleet start(List<BackendSpec> specs, int ownProcess, BenchSettings settings) {
        Fleet fleet = new Fleet();
        try {
            for (BackendSpec spec : specs) {
                if (fleet.members.size() == ownProcess) {
                    String id = "b" + ownProcess;
                    fleet.members.add(new Member(id, spec, SimulatorProcess.start(spec,
                            settings.work().resolve("simulator-" + id).resolve("simulator.log"), settings)));
                } else {
                    fleet.addInProcess(spec);
                }
            }
            return fleet;
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
    }

    /**
     * A fleet in the bench's JVM whose servers listen on {@code hosts} (loopback addresses, one each), all on the same
     * port: the pods behind one DNS name.
     */
    static Fleet startAt(List<BackendSpec> specs, List<String> hosts, int port) {
        Fleet fleet = new Fleet();
        try {
            for (int i = 0; i < specs.size(); i++) {
                List<String> flags = new ArrayList<>(List.of(specs.get(i).simulatorFlags(port)));
                flags.addAll(List.of("--host", hosts.get(i)));
                fleet.add(specs.get(i), flags.toArray(String[]::new));
            }
            return fleet;
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
    }

    private void addInProcess(BackendSpec spec) {
        add(spec, spec.simulatorFlags(0));
    }

    private void add(BackendSpec spec, String... flags) {
        SimulatedBackend simulator = SimulatedBackend.start(SimulatorOptions.parse(flags));
        members.add(new Member("b" + members.size(), spec, new InProcess(simulator)));
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

    /** Server {@code index}, which runs in the bench's JVM: to inject faults, crash it, read its counters. */
    SimulatedBackend simulator(int index) {
        if (members.get(index).server() instanceof InProcess server) {
            return server.simulator();
        }
        throw new IllegalStateException(members.get(index).id() + " runs in a process of its own");
    }

    /** Server {@code index}, which runs in a JVM of its own: to freeze it. */
    SimulatorProcess process(int index) {
        if (members.get(index).server() instanceof SimulatorProcess process) {
            return process;
        }
        throw new IllegalStateException(members.get(index).id() + " runs in the bench's JVM");
    }

    /** Inference requests each server has received so far, in fleet order (all of them in the bench's JVM). */
    long[] inferenceRequests() {
        return IntStream.range(0, members.size()).mapToLong(i -> simulator(i).inferenceRequests()).toArray();
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
