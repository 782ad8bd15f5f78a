package ilb.telemetry;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One scrape of ilb's {@code /observe/metrics}, read as Prometheus reads it: samples with labels. */
public final class Scrape {

    private record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples = new ArrayList<>();
    private final String text;

    private Scrape(String text) {
        this.text = text;
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name = brace >= 0 ? line.substring(0, brace) : line.substring(0, space);
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0) {
                String inside = line.substring(brace + 1, line.lastIndexOf('}'));
                for (String pair : inside.split(",(?=[a-z_]+=\")")) {
                    int eq = pair.indexOf('=');
                    labels.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
                }
            }
            samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
        }
    }

    public static Scrape of(int managementPort) throws Exception {
        // HTTP/1.1, as Prometheus scrapes: the JDK client's default h2c upgrade once left a scrape unanswered
        // forever; and a deadline, so that a lost answer fails the test instead of hanging the build
        HttpResponse<String> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + managementPort + "/observe/metrics"))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("metrics answered " + response.statusCode());
        }
        return new Scrape(response.body());
    }

    /** The sum of the samples of {@code name} whose labels include these {@code label=value} pairs. */
    public double sum(String name, String... labels) {
        return samples.stream().filter(s -> s.name().equals(name) && matches(s.labels(), labels))
                .mapToDouble(Sample::value).sum();
    }

    /** The label sets of the samples of {@code name}: one per series. */
    public List<Map<String, String>> series(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).map(Sample::labels).toList();
    }

    /** Whether there is any sample of {@code name}. */
    boolean has(String name) {
        return samples.stream().anyMatch(s -> s.name().equals(name));
    }

    private static boolean matches(Map<String, String> labels, String... wanted) {
        for (String pair : wanted) {
            int eq = pair.indexOf('=');
            if (!pair.substring(eq + 1).equals(labels.get(pair.substring(0, eq)))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }
}
