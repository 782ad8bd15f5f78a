package ilb.backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import ilb.discovery.DnsAnswer;
import ilb.discovery.DnsLookup;
import ilb.discovery.DnsTarget;
import ilb.discovery.MembershipChange;
import ilb.discovery.ServerAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backends of an entry whose url names a service ({@code dns://} or {@code srv://}): one for each server its
 * name gives, looked up again every {@code resolveInterval}, or sooner when the records' time to live runs out. A
 * server that appears joins, health-checked first; one that disappears takes no new request and is removed once its
 * requests in flight (streams too) are over; a failed lookup keeps the servers of the last answer, and says so once.
 * Lookups and changes run on the backends' scheduler (an event loop): none of them waits.
 */
final class DiscoveredBackends {

    private static final Logger LOG = LoggerFactory.getLogger(DiscoveredBackends.class);
    /** The soonest a lookup follows the last, whatever the records' time to live says. */
    private static final long LEAST_LOOKUP_INTERVAL_MILLIS = 1000;

    private final String entryId;
    private final DnsTarget target;
    private final BackendComponent component;
    private final DnsLookup dns;
    private final Function<ServerAddress, BackendSettings> settingsOf;
    private final long intervalMillis;
    private final Runnable changed;
    private final ScheduledExecutorService scheduler;
    /** Told by a leaving backend that a request is over: it may be idle now. */
    private final Runnable removeIdleSoon;
    // guarded by this
    private final Map<String, ServerAddress> servers = new LinkedHashMap<>();
    private final Map<String, MonitoredBackend> serving = new LinkedHashMap<>();
    private final Map<String, MonitoredBackend> leaving = new LinkedHashMap<>();
    private String failing;
    private boolean stopped;
    private ScheduledFuture<?> next;
    private volatile BackendGroup group = new BackendGroup(List.of(), List.of());

    /**
     * @param settingsOf the settings of the backend for one server: the entry's, with the server's url and id
     * @param changed    told whenever the group changes (on the scheduler's thread)
     */
    DiscoveredBackends(String entryId, DnsTarget target, BackendComponent component,
            Function<ServerAddress, BackendSettings> settingsOf, long intervalMillis, Runnable changed) {
        this.entryId = entryId;
        this.target = target;
        this.component = component;
        this.dns = component.dns();
        this.settingsOf = settingsOf;
        this.intervalMillis = intervalMillis;
        this.changed = changed;
        this.scheduler = component.clients().scheduler();
        this.removeIdleSoon = () -> scheduler.execute(this::removeIdle);
    }

    BackendGroup group() {
        return group;
    }

    /**
     * Looks the name up, and waits for the answer up to {@code waitMillis} (on the thread that starts the route, not
     * an event loop), so that a route starts, or reloads, with its servers rather than none for a moment.
     */
    void start(long waitMillis) {
        try {
            lookup().get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("backend {}: no DNS answer for {} within {} ms; its servers join when it comes", entryId, target,
                    waitMillis);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private CompletableFuture<Void> lookup() {
        try {
            return dns.lookup(target).handleAsync((answer, failure) -> {
                answered(answer, failure);
                return null;
            }, scheduler);
        } catch (RuntimeException e) {
            answered(null, e);
            return CompletableFuture.completedFuture(null);
        }
    }

    private synchronized void answered(DnsAnswer answer, Throwable failure) {
        if (stopped) {
            return;
        }
        long delay = intervalMillis;
        try {
            component.lookedUp(failure == null);
            if (failure != null) {
                String reason = failure.getCause() != null ? failure.getCause().getMessage() : failure.toString();
                if (!reason.equals(failing)) {
                    LOG.warn("backend {}: DNS lookup of {} failed ({}); keeping the {} servers of its last answer",
                            entryId, target, reason, serving.size());
                }
                failing = reason;
            } else {
                if (failing != null) {
                    LOG.info("backend {}: DNS lookup of {} answers again", entryId, target);
                    failing = null;
                }
                change(MembershipChange.between(servers, answer));
                if (answer.ttlSeconds() > 0 && answer.ttlSeconds() < Integer.MAX_VALUE) {
                    delay = Math.min(delay, Math.max(LEAST_LOOKUP_INTERVAL_MILLIS, answer.ttlSeconds() * 1000));
                }
            }
            // a request that took a leaving backend's place as it left gives it back without a release to hear
            removeIdle();
        } catch (RuntimeException e) {
            LOG.warn("backend {}: the DNS answer of {} could not be applied; looking up again", entryId, target, e);
        } finally {
            // whatever happened, the next lookup comes
            next = scheduler.schedule(this::lookup, Math.max(LEAST_LOOKUP_INTERVAL_MILLIS / 10, delay),
                    TimeUnit.MILLISECONDS);
        }
    }

    private void change(MembershipChange change) {
        if (change.none()) {
            return;
        }
        for (ServerAddress server : change.joining()) {
            String hostPort = server.hostPort();
            MonitoredBackend back = leaving.remove(hostPort);
            if (back != null) {
                back.backend().removeReleaseListener(removeIdleSoon);
                back.backend().stays();
                LOG.info("backend {} is back in the DNS answer of {}", back.backend().id(), target);
                serving.put(hostPort, back);
            } else {
                MonitoredBackend joined = MonitoredBackend.start(component, settingsOf.apply(server), true);
                LOG.info("backend {} joins from the DNS answer of {}{}", joined.backend().id(), target,
                        joined.backend().isDown() ? ": in rotation once its health check passes" : "");
                serving.put(hostPort, joined);
            }
            servers.put(hostPort, server);
        }
        for (ServerAddress server : change.reweighted()) {
            // the weight of its SRV record is the backend's, unless the entry writes one
            component.backend(settingsOf.apply(server));
            servers.put(server.hostPort(), server);
        }
        for (String hostPort : change.leaving()) {
            servers.remove(hostPort);
            MonitoredBackend gone = serving.remove(hostPort);
            gone.backend().leaves();
            LOG.info("backend {} left the DNS answer of {}: no new requests; removed once its {} in flight are over",
                    gone.backend().id(), target, gone.backend().inFlight());
            leaving.put(hostPort, gone);
            gone.backend().onRelease(removeIdleSoon);
        }
        publish();
    }

    /** Removes the leaving backends whose requests are all over. */
    private synchronized void removeIdle() {
        List<String> idle = new ArrayList<>();
        leaving.forEach((hostPort, monitored) -> {
            if (monitored.backend().idleAfterLeaving()) {
                idle.add(hostPort);
            }
        });
        if (idle.isEmpty() || stopped) {
            return;
        }
        for (String hostPort : idle) {
            MonitoredBackend gone = leaving.remove(hostPort);
            remove(gone);
            LOG.info("backend {} removed: it left the DNS answer of {} and its requests are over", gone.backend().id(),
                    target);
        }
        publish();
    }

    private void remove(MonitoredBackend gone) {
        gone.backend().removeReleaseListener(removeIdleSoon);
        gone.stop();
        if (gone.backend().isLeaving()) {
            // not if a reloaded route's group has it back
            component.forget(gone.backend());
        }
    }

    private void publish() {
        group = new BackendGroup(serving.values().stream().map(MonitoredBackend::backend).toList(),
                leaving.values().stream().map(MonitoredBackend::backend).toList());
        changed.run();
    }

    /**
     * Stops looking up and watching (the route stops or reloads): serving backends are kept by the component for the
     * route that replaces it, leaving ones are forgotten.
     */
    synchronized void stop() {
        stopped = true;
        if (next != null) {
            next.cancel(false);
        }
        serving.values().forEach(MonitoredBackend::stop);
        leaving.values().forEach(this::remove);
    }
}
