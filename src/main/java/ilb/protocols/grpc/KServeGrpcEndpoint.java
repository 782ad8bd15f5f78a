package ilb.protocols.grpc;

import ilb.backend.Durations;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/**
 * {@code kserve-grpc:<host>:<port>[?maxMessageBytes=67108864&maxConcurrentCallsPerConnection=100&
 * maxConnectionIdle=5m]}: the gRPC entry listening there ({@link KServeGrpcComponent}). Only a consumer.
 */
public class KServeGrpcEndpoint extends DefaultEndpoint {

    private final String host;
    private final int port;
    private int maxMessageBytes = 64 << 20;
    private int maxConcurrentCallsPerConnection = Integer.MAX_VALUE;
    private long maxConnectionIdleMillis;

    KServeGrpcEndpoint(String uri, KServeGrpcComponent component, String host, int port) {
        super(uri, component);
        this.host = host;
        this.port = port;
    }

    @Override
    public KServeGrpcComponent getComponent() {
        return (KServeGrpcComponent) super.getComponent();
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        return new KServeGrpcConsumer(this, processor);
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("kserve-grpc: is ilb's gRPC entry; it can only be consumed from");
    }

    @Override
    public boolean isLenientProperties() {
        return false;
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    int maxMessageBytes() {
        return maxMessageBytes;
    }

    int maxConcurrentCallsPerConnection() {
        return maxConcurrentCallsPerConnection;
    }

    long maxConnectionIdleMillis() {
        return maxConnectionIdleMillis;
    }

    /** The largest request message taken (default 64 MiB); a larger one is refused RESOURCE_EXHAUSTED. */
    public void setMaxMessageBytes(int maxMessageBytes) {
        if (maxMessageBytes < 1) {
            throw new IllegalArgumentException("kserve-grpc: maxMessageBytes must be positive");
        }
        this.maxMessageBytes = maxMessageBytes;
    }

    /** The most calls a connection may have open at once (HTTP/2 MAX_CONCURRENT_STREAMS); default unlimited. */
    public void setMaxConcurrentCallsPerConnection(int maxConcurrentCallsPerConnection) {
        if (maxConcurrentCallsPerConnection < 1) {
            throw new IllegalArgumentException("kserve-grpc: maxConcurrentCallsPerConnection must be positive");
        }
        this.maxConcurrentCallsPerConnection = maxConcurrentCallsPerConnection;
    }

    /**
     * How long a connection without calls stays open before the server asks it away (GOAWAY; clients reconnect
     * when they next call): a duration ({@code 5m}); 0, the default, for ever.
     */
    public void setMaxConnectionIdle(String maxConnectionIdle) {
        this.maxConnectionIdleMillis = Durations.millis(maxConnectionIdle);
    }
}
