package ilb.backend;

/**
 * A backend an endpoint serves with, and what watches it while it does: its health check and its metrics scrape, and
 * its client's hold on a channel (a gRPC backend's). Started by the endpoint, or by its {@link DiscoveredBackends}
 * for each server DNS gives; stopped with it, or when the server has left and its requests in flight are over.
 */
final class MonitoredBackend {

    private final Backend backend;
    private final BackendSettings settings;
    private final BackendClients clients;
    private HealthCheck healthCheck;
    private MetricsScrape metricsScrape;

    private MonitoredBackend(Backend backend, BackendSettings settings, BackendClients clients) {
        this.backend = backend;
        this.settings = settings;
        this.clients = clients;
    }

    /**
     * @param checkedFirst whether the backend takes no request before its first health check passes: a server that
     *                     joins a group found by DNS may not be serving yet. One ilb knows already keeps its state.
     */
    static MonitoredBackend start(BackendComponent component, BackendSettings settings, boolean checkedFirst) {
        boolean known = component.knows(settings.id());
        // its channel first: requests see the new settings (a new address) as soon as backend() publishes them
        component.clients().hold(settings);
        Backend backend = component.backend(settings);
        MonitoredBackend monitored = new MonitoredBackend(backend, settings, component.clients());
        if (checkedFirst && !known && !settings.healthPath().isEmpty()) {
            backend.downUntilChecked();
        } else if (checkedFirst) {
            // a reloaded route's group has it again, though the group it replaces saw it leave
            backend.stays();
        }
        if (!settings.healthPath().isEmpty()) {
            monitored.healthCheck = new HealthCheck(backend, component.clients());
            monitored.healthCheck.start(settings.healthIntervalMillis());
            backend.healthCheck(monitored.healthCheck);
        }
        if (settings.scrapesMetrics()) {
            monitored.metricsScrape = new MetricsScrape(backend, component.clients());
            monitored.metricsScrape.start(settings.metricsIntervalMillis());
        }
        return monitored;
    }

    Backend backend() {
        return backend;
    }

    void stop() {
        if (healthCheck != null) {
            healthCheck.stop();
            backend.noHealthCheck(healthCheck);
        }
        if (metricsScrape != null) {
            metricsScrape.stop();
        }
        // what this one held: the backend's settings may be a newer endpoint's by now
        clients.release(settings);
    }
}
