package ilb;

import java.util.concurrent.TimeUnit;

import ilb.backend.Durations;
import ilb.protocols.HttpEdge;
import ilb.telemetry.ModelReadiness;
import org.apache.camel.CamelContext;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.main.MainShutdownStrategy;
import org.apache.camel.main.MainSupport;
import org.apache.camel.spi.ShutdownStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order of a graceful stop (SIGTERM: Kubernetes deleting the pod, {@code bin/ilb drain}). On SIGTERM Camel Main's
 * shutdown hook ends Main's wait, and Main stops Camel at once: the HTTP entry's connections close with it, streams
 * in flight included, while load balancers and kube-proxy still send new requests here. Before Main stops Camel,
 * this
 * <ol>
 * <li>reports not ready ({@code /observe/health/ready} 503; liveness stays up), so that they stop sending here;</li>
 * <li>keeps serving for {@code ilb.shutdown.drainDelay}, the time they take to notice;</li>
 * <li>takes no new HTTP requests (503 {@code shutting_down}, connections closed as they fall idle) and waits for
 * those in flight, streams to their end, at most {@code camel.main.shutdownTimeout};</li>
 * </ol>
 * then lets Camel stop (the gRPC entry lets its calls finish itself, within the same timeout).
 */
final class ShutdownDrain extends MainListenerSupport {

    private static final Logger LOG = LoggerFactory.getLogger(ShutdownDrain.class);

    private long drainDelayMillis;
    private long shutdownTimeoutMillis;

    @Override
    public void beforeStart(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        drainDelayMillis = Durations.millis(context.getPropertiesComponent().resolveProperty("ilb.shutdown.drainDelay")
                .orElse("5s"));
        ShutdownStrategy camelShutdown = context.getShutdownStrategy();
        shutdownTimeoutMillis = camelShutdown.getTimeUnit().toMillis(camelShutdown.getTimeout());
        // the shutdown hook lets the JVM end once Camel's shutdown timeout and the extra timeout have passed: both
        // phases here come first, so it must wait that much longer
        MainShutdownStrategy hook = ((MainSupport) main).getShutdownStrategy();
        hook.setExtraShutdownTimeout(hook.getExtraShutdownTimeout()
                + (int) TimeUnit.MILLISECONDS.toSeconds(drainDelayMillis + shutdownTimeoutMillis + 999));
    }

    @Override
    public void beforeStop(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        if (context == null || !context.isStarted()) {
            return;
        }
        context.getRegistry().lookupByNameAndType("ilbModelReadiness", ModelReadiness.class).shuttingDown();
        LOG.info("Draining: not ready from now (/observe/health/ready 503), serving {} ms more for load balancers to"
                + " notice", drainDelayMillis);
        try {
            // a pause of the main thread, which has nothing else to do: the event loops keep serving meanwhile
            TimeUnit.MILLISECONDS.sleep(drainDelayMillis);
            HttpEdge edge = context.getRegistry().lookupByNameAndType("httpEdge", HttpEdge.class);
            edge.drain();
            LOG.info("Draining: taking no new requests; waiting up to {} ms for the {} in flight",
                    shutdownTimeoutMillis, edge.inFlight());
            if (!edge.awaitAnswered(shutdownTimeoutMillis, TimeUnit.MILLISECONDS)) {
                LOG.warn("Draining: {} requests still in flight after {} ms; stopping anyway", edge.inFlight(),
                        shutdownTimeoutMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
