package ilb.backend;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import ilb.RawBackend;
import ilb.inference.BackendFailure;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.Protocol;
import io.netty.channel.nio.NioEventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A request HTTP cannot carry fails at once, before it takes a connection: nothing reaches the backend. */
class UnwritableRequestTest {

    private final NioEventLoopGroup loops = new NioEventLoopGroup(1);
    private final HttpBackendClient client = new HttpBackendClient(loops, 1 << 20);
    private final RawBackend server = RawBackend.start(out ->
            out.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII)));
    private final BackendSettings settings = new BackendSettings("raw", URI.create(server.url()), Protocol.HTTP, 0,
            1, 4, "", "", "", "", 600_000, 600_000, 1000, 1000, 0, null, null);

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private CompletableFuture<InferenceMessage> send(String path) {
        CompletableFuture<InferenceMessage> done = new CompletableFuture<>();
        client.send(settings, "GET", path, Map.of(), new byte[0], TimeLimits.of(settings, null, System.nanoTime()),
                null, done::complete);
        return done;
    }

    @Test
    void aPathWithASpaceFailsAtOnceAsTheRequestsFault() throws Exception {
        CompletableFuture<InferenceMessage> unwritable = send("/v2/models/m/versions/1 x/infer");

        // done before send returned: no connection, no timer, no waiting for the backend's timeout (10 min)
        assertThat(unwritable).isDone();
        assertThat(unwritable.get()).isInstanceOfSatisfying(BackendFailure.class,
                failure -> assertThat(failure.kind()).isEqualTo(BackendFailure.Kind.REQUEST));

        // the next request is the first the server sees, on the only connection it accepted
        assertThat(send("/ok").get(30, TimeUnit.SECONDS)).isInstanceOfSatisfying(HttpReply.class,
                reply -> assertThat(reply.status()).isEqualTo(200));
        assertThat(server.requestLines()).containsExactly("GET /ok HTTP/1.1");
        assertThat(server.connectionsAccepted()).isEqualTo(1);
    }
}
