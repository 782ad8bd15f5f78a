package ilb.backend;

import java.nio.charset.StandardCharsets;

import ilb.inference.BackendStream;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;

/**
 * Scrapes a backend's Prometheus metrics path into its {@link BackendTelemetry}. A failed scrape leaves the last
 * telemetry to go stale, so that policies fall back to in-flight counts; it never fails a request.
 */
final class MetricsScrape extends Poller {

    private final MetricsReader reader = new MetricsReader();

    MetricsScrape(Backend backend, BackendClients clients) {
        super(backend, clients);
    }

    @Override
    String path(BackendSettings settings) {
        return settings.metricsPath();
    }

    @Override
    long timeoutMillis(BackendSettings settings) {
        // a busy server may answer slowly: wait as long as its last telemetry stays fresh
        return settings.telemetryFreshMillis();
    }

    @Override
    void answered(InferenceMessage result) {
        if (result instanceof HttpReply reply && reply.status() == 200) {
            backend.telemetry(reader.read(new String(reply.body(), StandardCharsets.UTF_8), System.nanoTime()));
        } else if (result instanceof BackendStream stream) {
            stream.cancel();
        }
    }
}
