package ilb.routing;

import java.lang.management.ManagementFactory;

import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers a model version's route on the platform MBean server as
 * {@code ilb:type=ModelVersion,model=<name>,version=<version>} while the route runs, where JMX clients and the Hawtio
 * console find it.
 */
final class ModelVersionMBeans {

    private static final Logger LOG = LoggerFactory.getLogger(ModelVersionMBeans.class);

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private ObjectName registered;

    static ObjectName name(String model, String version) {
        try {
            return new ObjectName("ilb:type=ModelVersion,model=" + value(model) + ",version=" + value(version));
        } catch (JMException e) {
            throw new IllegalArgumentException("model " + model + " version " + version + " cannot be named in JMX", e);
        }
    }

    /**
     * Names, versions and route ids as route files write them; quoted when JMX would misread them (a '/' of a Hugging
     * Face id). {@link PoolMBeans} names pools with it too.
     */
    static String value(String text) {
        return text.matches("[A-Za-z0-9._-]+") ? text : ObjectName.quote(text);
    }

    void register(ModelConsumer consumer) {
        ObjectName name = name(consumer.model(), consumer.settings().version());
        try {
            if (server.isRegistered(name)) {
                // another ilb in this JVM (tests) serves that version: the newest one is shown
                server.unregisterMBean(name);
            }
            server.registerMBean(new View(consumer), name);
            registered = name;
        } catch (JMException e) {
            LOG.warn("model {} version {} is not visible in JMX: {}", consumer.model(), consumer.settings().version(),
                    e.toString());
        }
    }

    void unregister() {
        if (registered == null) {
            return;
        }
        try {
            server.unregisterMBean(registered);
        } catch (InstanceNotFoundException e) {
            // replaced or gone already
        } catch (JMException e) {
            LOG.warn("could not unregister {}: {}", registered, e.toString());
        }
        registered = null;
    }

    /** What JMX reads and calls. */
    private static final class View implements ModelVersionMXBean {
        private final ModelConsumer consumer;

        View(ModelConsumer consumer) {
            this.consumer = consumer;
        }

        @Override
        public String getModel() {
            return consumer.model();
        }

        @Override
        public String getVersion() {
            return consumer.settings().version();
        }

        @Override
        public String getRoute() {
            return consumer.getRouteId();
        }

        @Override
        public String getStage() {
            return consumer.settings().stage();
        }

        @Override
        public int getWeight() {
            Integer weight = consumer.settings().weight();
            return weight == null ? -1 : weight;
        }

        @Override
        public double getShadow() {
            return consumer.settings().shadow();
        }

        @Override
        public void changeWeight(int weight) {
            consumer.catalog().retune(consumer, settings -> settings.withWeight(weight));
        }

        @Override
        public void changeShadow(double share) {
            consumer.catalog().retune(consumer, settings -> settings.withShadow(share));
        }
    }
}
