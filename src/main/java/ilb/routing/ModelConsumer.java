package ilb.routing;

import java.util.List;

import ilb.admission.Tenant;
import ilb.inference.Api;
import ilb.inference.BackendStream;
import ilb.inference.ExchangeProperties;
import ilb.inference.InferenceRequest;
import ilb.inference.Priority;
import io.netty.buffer.ByteBuf;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;

/**
 * The start of a model's route: registered in the catalog while the route runs, with its version's settings, and
 * (for a version) in JMX as {@code ilb:type=ModelVersion}.
 */
final class ModelConsumer extends DefaultConsumer {

    /** Reads a shadow copy's stream to its end and drops it: its backend connection is then free. */
    private static final BackendStream.Subscriber DISCARD = new BackendStream.Subscriber() {
        @Override
        public void onChunk(ByteBuf chunk) {
            chunk.release();
        }

        @Override
        public void onEnd() {
        }

        @Override
        public void onError(String reason) {
        }
    };

    private volatile VersionSettings settings;
    private final ModelVersionMBeans mbeans = new ModelVersionMBeans();

    ModelConsumer(ModelEndpoint endpoint, Processor processor, VersionSettings settings) {
        super(endpoint, processor);
        this.settings = settings;
    }

    @Override
    public ModelEndpoint getEndpoint() {
        return (ModelEndpoint) super.getEndpoint();
    }

    String model() {
        return getEndpoint().model();
    }

    List<String> aliases() {
        return getEndpoint().aliases();
    }

    VersionSettings settings() {
        return settings;
    }

    /** Takes new settings; only the catalog calls this, so that its snapshot follows. */
    void settle(VersionSettings newSettings) {
        settings = newSettings;
    }

    ModelCatalog catalog() {
        return getEndpoint().getComponent().catalog();
    }

    void process(Exchange exchange, AsyncCallback callback) {
        getAsyncProcessor().process(exchange, callback);
    }

    /**
     * Sends a copy of a request served by another version through this route, as an exchange of its own: sheddable
     * (a batch job's copy stays batch), marked {@link ExchangeProperties#SHADOW}, its answer discarded.
     */
    void shadow(InferenceRequest primary, Tenant tenant, Api api) {
        if (!isRunAllowed()) {
            // stopped since the copy was drawn
            return;
        }
        String version = settings.version();
        Priority priority = primary.priority() == Priority.BATCH ? Priority.BATCH : Priority.SHEDDABLE;
        Exchange exchange = createExchange(false);
        exchange.setProperty(ExchangeProperties.TENANT, tenant);
        exchange.setProperty(ExchangeProperties.SHADOW, true);
        exchange.setProperty(ExchangeProperties.MODEL_VERSION, version);
        if (api != null) {
            exchange.setProperty(ExchangeProperties.API, api);
        }
        // nobody waits for it on a connection: the client going away does not stop it
        exchange.getMessage().setBody(primary.withVersion(version).onConnection(primary.session(), null)
                .withPriority(priority));
        try {
            // ended here, once a stream has its reader: the pool cancels streams nobody read when the exchange ends
            createUoW(exchange);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start a unit of work for a shadow copy", e);
        }
        getAsyncProcessor().process(exchange, doneSync -> {
            if (exchange.getMessage().getBody() instanceof BackendStream stream) {
                stream.subscribe(DISCARD);
            }
            doneUoW(exchange);
            releaseExchange(exchange, false);
        });
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        catalog().register(this);
        if (!settings.version().isEmpty()) {
            mbeans.register(this);
        }
    }

    @Override
    protected void doStop() throws Exception {
        mbeans.unregister();
        catalog().unregister(this);
        super.doStop();
    }

    /**
     * Camel suspends a route's consumer first when it stops or reloads the route, and stops it only after the route's
     * processors: out of the catalog now, so that no request reaches processors about to stop (requests wait for the
     * new route instead; those in flight finish here).
     */
    @Override
    protected void doSuspend() throws Exception {
        catalog().unregister(this);
        super.doSuspend();
    }

    @Override
    protected void doResume() throws Exception {
        super.doResume();
        catalog().register(this);
    }
}
