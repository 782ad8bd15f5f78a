package ilb.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench/run [--quick] [scenario...]}: runs the scenarios (all, or those whose id starts with an argument, e.g.
 * {@code s1}) and writes their tables, JSON and charts to {@code bench/results/} ({@code target/bench/results-quick/}
 * with {@code --quick}). Run from the project's root with
 * {@code -Dilb.classpath=<ilb's runtime classpath>}.
 */
public final class Bench {

    private static final List<Scenario> SCENARIOS = List.of(new ProxyOverhead(), new TlsOverhead(),
            new TracingOverhead(), HeterogeneousFleet.tiered(),
            HeterogeneousFleet.urlsOnly(), new DriftingFleet(), new SharedPrefixes(), new BackendFaults(),
            new FrozenServer(), new BatchYield(), new NoisyNeighbour(), new CanaryVersions(),
            new SharedLimits(), new GrpcOverhead(), new ScaleOut());

    private Bench() {
    }

    public static void main(String[] args) throws InterruptedException, IOException {
        System.setProperty("java.awt.headless", "true");
        boolean quick = false;
        Path earlier = null;
        List<String> wanted = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--quick")) {
                quick = true;
            } else if (arg.equals("--earlier") && i + 1 < args.length) {
                earlier = Path.of(args[++i]).toAbsolutePath();
            } else {
                wanted.add(arg);
            }
        }
        String ilbClasspath = System.getProperty("ilb.classpath");
        if (ilbClasspath == null) {
            throw new IllegalStateException("-Dilb.classpath=<ilb's runtime classpath> is required (bench/run sets it)");
        }
        Path repo = Path.of("").toAbsolutePath();
        // a quick run's numbers are a smoke check, not results: they stay out of bench/results
        Path results = quick ? repo.resolve("target/bench/results-quick") : repo.resolve("bench/results");
        BenchSettings settings = new BenchSettings(quick, repo, repo.resolve("target/bench"), results, ilbClasspath,
                earlier);

        List<Scenario> selected = SCENARIOS.stream()
                .filter(s -> wanted.isEmpty() || wanted.stream().anyMatch(w -> s.id().startsWith(w))).toList();
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("no scenario matches " + wanted + "; scenarios: "
                    + SCENARIOS.stream().map(Scenario::id).toList());
        }
        Files.createDirectories(settings.results());
        Map<String, Double> took = new LinkedHashMap<>();
        for (Scenario scenario : selected) {
            System.out.println("\n## " + scenario.title() + (quick ? " (quick)" : "") + "\n");
            long start = System.nanoTime();
            Report report = new Report(scenario.id(), scenario.title() + (quick ? " (quick run)" : ""), settings.results());
            scenario.run(settings, report);
            double seconds = (System.nanoTime() - start) / 1e9;
            report.write(seconds);
            took.put(scenario.id(), seconds);
            System.out.printf("%s took %.0f s%n", scenario.id(), seconds);
        }
        System.out.println();
        took.forEach((id, seconds) -> System.out.printf("%-24s %5.0f s%n", id, seconds));
        System.out.printf("%-24s %5.0f s%nresults in %s%n", "total", took.values().stream().mapToDouble(d -> d).sum(),
                settings.results());
    }
}
