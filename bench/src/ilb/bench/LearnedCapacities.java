package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The concurrency limit ilb has learned for each backend, over time: {@code ilb_backend_capacity} samples labelled
 * {@code source="learned"} on its Prometheus endpoint, scraped at a fixed interval from {@link #start} on, as
 * {x: seconds since the start, y: the limit} by backend id. A backend with a configured capacity has none.
 */
final class LearnedCapacities implements AutoCloseable {

    private static final Pattern SAMPLE = Pattern.compile("(?m)^ilb_backend_capacity\\{([^}]*)} (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final String metricsUrl;
    private final Duration every;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final Map<String, List<double[]>> byBackend = new TreeMap<>();
    private long startNanos;
    private String lastFailure;
    /** Whether any scrape had an {@code ilb_backend_capacity} sample, learned or configured. */
    private boolean sawCapacity;

    LearnedCapacities(String metricsUrl, Duration every) {
        this.metricsUrl = metricsUrl;
        this.every = every;
    }

    /** Scrapes now and every interval until closed. */
    void start() {
        startNanos = System.nanoTime();
        timer.scheduleAtFixedRate(this::scrape, 0, every.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void scrape() {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        String text;
        try {
            var response = Http.get(metricsUrl);
            if (response.statusCode() != 200) {
                failed("HTTP " + response.statusCode());
                return;
            }
            text = response.body();
        } catch (RuntimeException e) {
            failed(e.toString());
            return;
        }
        Matcher sample = SAMPLE.matcher(text);
        while (sample.find()) {
            sawCapacity();
            Map<String, String> labels = new TreeMap<>();
            Matcher label = LABEL.matcher(sample.group(1));
            while (label.find()) {
                labels.put(label.group(1), label.group(2));
            }
            if ("learned".equals(labels.get("source"))) {
                record(labels.get("backend"), seconds, Double.parseDouble(sample.group(2)));
            }
        }
    }

    private synchronized void record(String backend, double seconds, double limit) {
        byBackend.computeIfAbsent(backend, b -> new ArrayList<>()).add(new double[] {seconds, limit});
    }

    private synchronized void sawCapacity() {
        sawCapacity = true;
    }

    private synchronized void failed(String why) {
        lastFailure = why;
    }

    /** The samples so far by backend id; empty if ilb published no learned capacity. */
    synchronized Map<String, List<double[]>> byBackend() {
        Map<String, List<double[]>> copy = new TreeMap<>();
        byBackend.forEach((backend, points) -> copy.put(backend, List.copyOf(points)));
        return copy;
    }

    /** Why there is no learned limit of a backend: what the scrapes found instead. */
    synchronized String noneLearned() {
        if (lastFailure != null) {
            return "scrapes failed: " + lastFailure;
        }
        return sawCapacity ? "ilb published `ilb_backend_capacity` without `source=\"learned\"`"
                : "ilb published no `ilb_backend_capacity`";
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /**
     * The median of the samples from {@code fromSeconds} (inclusive) to {@code toSeconds}: a limit's steady value in
     * that window; NaN if it has none.
     */
    static double steady(List<double[]> points, double fromSeconds, double toSeconds) {
        double[] values = points.stream().filter(p -> p[0] >= fromSeconds && p[0] < toSeconds).mapToDouble(p -> p[1])
                .sorted().toArray();
        return values.length == 0 ? Double.NaN : values[values.length / 2];
    }

    /**
     * Seconds from {@code changeSeconds} to the first sample at or after it within ±1 of {@code target} (the limit's
     * new steady value); NaN if none is, or there is no target.
     */
    static double followSeconds(List<double[]> points, double changeSeconds, double target) {
        return points.stream().filter(p -> p[0] >= changeSeconds && Math.abs(p[1] - target) <= 1)
                .mapToDouble(p -> p[0] - changeSeconds).findFirst().orElse(Double.NaN);
    }
}
