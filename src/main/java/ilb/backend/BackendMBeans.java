package ilb.backend;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers each backend on the platform MBean server as {@code ilb:type=Backend,name=<id>}, where JMX clients
 * and the Hawtio console find it, and unregisters them when ilb stops.
 */
final class BackendMBeans {

    private static final Logger LOG = LoggerFactory.getLogger(BackendMBeans.class);

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final Map<ObjectName, View> registered = new ConcurrentHashMap<>();

    static ObjectName name(String backendId) {
        // ids are route-file names; quote the rare one JMX would misread
        String value = backendId.matches("[A-Za-z0-9._-]+") ? backendId : ObjectName.quote(backendId);
        try {
            return new ObjectName("ilb:type=Backend,name=" + value);
        } catch (JMException e) {
            throw new IllegalArgumentException("backend " + backendId + " cannot be named in JMX", e);
        }
    }

    void register(Backend backend) {
        ObjectName name = name(backend.id());
        View view = new View(backend);
        try {
            if (server.isRegistered(name)) {
                // another ilb in this JVM (tests) had a backend of that name: the newest one is shown
                server.unregisterMBean(name);
            }
            server.registerMBean(view, name);
            registered.put(name, view);
        } catch (JMException e) {
            LOG.warn("backend {} is not visible in JMX: {}", backend.id(), e.toString());
        }
    }

    void unregister(Backend backend) {
        ObjectName name = name(backend.id());
        View view = registered.get(name);
        if (view == null || view.backend != backend) {
            return;
        }
        registered.remove(name);
        try {
            server.unregisterMBean(name);
        } catch (JMException e) {
            // replaced or gone already
        }
    }

    void unregisterAll() {
        registered.forEach((name, view) -> {
            try {
                server.unregisterMBean(name);
            } catch (InstanceNotFoundException e) {
                // replaced or gone already
            } catch (JMException e) {
                LOG.warn("could not unregister {}: {}", name, e.toString());
            }
        });
        registered.clear();
    }

    /** What JMX reads and calls: the backend's live state, and operations on it. */
    static final class View implements BackendMXBean {
        private final Backend backend;
        private volatile Recent recent;

        /** A summary of the last minute and when it was made. */
        private record Recent(long nanos, RecentAttempts.Summary summary) {
        }

        View(Backend backend) {
            this.backend = backend;
        }

        @Override
        public String getName() {
            return backend.id();
        }

        @Override
        public String getState() {
            return backend.availability(System.nanoTime()).name();
        }

        @Override
        public int getInFlight() {
            return backend.inFlight();
        }

        @Override
        public int getCapacity() {
            return backend.capacity();
        }

        @Override
        public String getCapacitySource() {
            return backend.capacitySource().label();
        }

        @Override
        public String getBreaker() {
            return backend.breaker().getState().name();
        }

        @Override
        public int getWeight() {
            return backend.settings().weight();
        }

        @Override
        public int getTier() {
            return backend.settings().tier();
        }

        @Override
        public String getHealth() {
            return backend.health();
        }

        @Override
        public boolean isDrained() {
            return backend.isDrained();
        }

        @Override
        public String getUrl() {
            URI url = backend.settings().url();
            // never credentials a url may carry (http://user:secret@host, ?api_key=...): viewers read this too
            String shown = url.getRawUserInfo() == null ? url.toString()
                    : url.toString().replace(url.getRawUserInfo() + "@", "");
            int query = shown.indexOf('?');
            return query < 0 ? shown : shown.substring(0, query);
        }

        @Override
        public String getProtocol() {
            return backend.settings().protocol().label();
        }

        @Override
        public String getZone() {
            return backend.settings().zone();
        }

        @Override
        public String getHardware() {
            return backend.settings().hardware();
        }

        @Override
        public long getRequests() {
            return backend.requestsSent();
        }

        @Override
        public double getTtftP50Millis() {
            return recent().ttftP50Millis();
        }

        @Override
        public double getTtftP99Millis() {
            return recent().ttftP99Millis();
        }

        @Override
        public double getErrorRate() {
            return recent().errorRate();
        }

        @Override
        public long[] getAttemptsPerSlice() {
            return recent().attempts();
        }

        @Override
        public double[] getTtftP50MillisPerSlice() {
            return recent().ttftP50sMillis();
        }

        @Override
        public double[] getErrorRatePerSlice() {
            return recent().errorRates();
        }

        /**
         * The last minute as of at most a second ago: a read of all attributes asks six times, and anyone who may
         * read JMX (the management port's Jolokia too) may ask often; the window's lock is the event loops'.
         */
        private RecentAttempts.Summary recent() {
            long now = System.nanoTime();
            Recent last = recent;
            if (last == null || now - last.nanos() > TimeUnit.SECONDS.toNanos(1)) {
                last = new Recent(now, backend.recent().summary(now));
                recent = last;
            }
            return last.summary();
        }

        @Override
        public void drain() {
            backend.drain();
        }

        @Override
        public void undrain() {
            backend.undrain();
        }

        @Override
        public void changeWeight(int weight) {
            backend.changeWeight(weight);
        }

        @Override
        public void resetBreaker() {
            backend.reset();
        }

        @Override
        public String checkHealthNow() {
            long waitMillis = backend.settings().timeoutMillis() + 1000;
            try {
                // a JMX thread, not an event loop: it may wait for the answer
                return backend.checkHealthNow().get(Math.min(waitMillis, 30_000), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return "no answer yet: " + backend.health();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return backend.health();
            } catch (ExecutionException e) {
                return "check failed: " + e.getCause();
            }
        }
    }
}
