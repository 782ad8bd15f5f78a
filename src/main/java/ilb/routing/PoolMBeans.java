package ilb.routing;

import java.lang.management.ManagementFactory;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import ilb.backend.Backend;
import ilb.balancer.InferenceLoadBalancer;
import ilb.balancer.PoolListener;
import ilb.admission.Tenant;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers each running pool as {@code ilb:type=Pool,name=<route id>} on the platform MBean server, where the
 * console's Inference view finds it; a reloaded route's new balancer takes the old one's place.
 */
public final class PoolMBeans implements PoolListener {

    private static final Logger LOG = LoggerFactory.getLogger(PoolMBeans.class);

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final CamelContext context;
    /**
     * The balancer registered under each name, whichever ilb of this JVM made it (tests run several): a stopped
     * balancer's name is left to the balancer that replaced it.
     */
    private static final Map<ObjectName, InferenceLoadBalancer> REGISTERED = new ConcurrentHashMap<>();

    public PoolMBeans(CamelContext context) {
        this.context = context;
    }

    static ObjectName name(String pool) {
        try {
            return new ObjectName("ilb:type=Pool,name=" + ModelVersionMBeans.value(pool));
        } catch (JMException e) {
            throw new IllegalArgumentException("pool " + pool + " cannot be named in JMX", e);
        }
    }

    @Override
    public void started(String pool, InferenceLoadBalancer balancer) {
        ObjectName name = name(pool);
        ModelEndpoint endpoint = ModelEndpoint.ofRoute(context, pool);
        try {
            if (server.isRegistered(name)) {
                // the reloaded route's old balancer, or another ilb in this JVM (tests): the newest one is shown
                server.unregisterMBean(name);
            }
            server.registerMBean(new View(pool, endpoint, balancer), name);
            REGISTERED.put(name, balancer);
        } catch (JMException e) {
            LOG.warn("pool {} is not visible in JMX: {}", pool, e.toString());
        }
    }

    @Override
    public void stopped(String pool, InferenceLoadBalancer balancer) {
        ObjectName name = name(pool);
        // a reloaded route's new balancer may have started first: only its own registration goes
        if (REGISTERED.remove(name, balancer)) {
            try {
                server.unregisterMBean(name);
            } catch (InstanceNotFoundException e) {
                // replaced or gone already
            } catch (JMException e) {
                LOG.warn("could not unregister {}: {}", name, e.toString());
            }
        }
    }

    /** What JMX reads: the pool's model version (null endpoint: a pool not fed by {@code model:}) and its balancer. */
    private record View(String name, ModelEndpoint endpoint, InferenceLoadBalancer balancer) implements PoolMXBean {

        @Override
        public String getName() {
            return name;
        }

        @Override
        public String getModel() {
            return endpoint == null ? "" : endpoint.model();
        }

        @Override
        public String[] getAliases() {
            return endpoint == null ? new String[0] : endpoint.aliases().toArray(String[]::new);
        }

        @Override
        public String getVersion() {
            return endpoint == null ? "" : endpoint.version();
        }

        @Override
        public String getStage() {
            return endpoint == null ? Tenant.PRODUCTION : endpoint.stage();
        }

        @Override
        public String getPolicy() {
            return balancer.policy();
        }

        @Override
        public int getQueued() {
            return balancer.queued();
        }

        @Override
        public double getSaturation() {
            return balancer.saturation();
        }

        @Override
        public int getInFlight() {
            return balancer.backends().stream().mapToInt(Backend::inFlight).sum();
        }

        @Override
        public int getCapacity() {
            long now = System.nanoTime();
            return balancer.backends().stream().filter(b -> b.inRotation(now)).mapToInt(Backend::capacity).sum();
        }

        @Override
        public int getBackendsInRotation() {
            return balancer.backendsInRotation();
        }

        @Override
        public String[] getBackends() {
            return balancer.backends().stream().sorted(Comparator.comparingInt(b -> b.settings().tier()))
                    .map(Backend::id).toArray(String[]::new);
        }
    }
}
