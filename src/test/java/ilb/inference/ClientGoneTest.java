package ilb.inference;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ClientGoneTest {

    @Test
    void aGrpcCallsWorkResumesOnItsCallsEventLoop() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            CompletableFuture<Boolean> onLoop = new CompletableFuture<>();
            ClientGone.loopOf(request(new ClientGone(loop))).execute(() -> onLoop.complete(loop.inEventLoop()));
            assertThat(onLoop.get(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void anHttpRequestsWorkResumesOnItsConnectionsEventLoop() {
        EmbeddedChannel connection = new EmbeddedChannel();
        assertThat(ClientGone.loopOf(request(connection.closeFuture()))).isSameAs(connection.eventLoop());
    }

    @Test
    void aRequestWithoutAClientResumesWhereItsAnswerCame() {
        Thread[] ranOn = new Thread[1];
        ClientGone.loopOf(request(null)).execute(() -> ranOn[0] = Thread.currentThread());
        assertThat(ranOn[0]).isSameAs(Thread.currentThread());
    }

    private static InferenceRequest request(Future<?> clientGone) {
        return new InferenceRequest(Api.KSERVE, Protocol.GRPC, "POST", "/v2/models/m/infer", Map.of(), new byte[0],
                "m", null, false, PromptPrefix.NONE, 0, null, null, clientGone, Priority.STANDARD);
    }
}
