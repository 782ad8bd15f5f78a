package ilb;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import ilb.simulator.SimulatedBackend;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SIGTERM (what Kubernetes and {@code bin/ilb drain} send) stops ilb gracefully: not ready at once while still live
 * (management, KServe and gRPC health alike), then, after a delay, it takes no new requests (HTTP nor gRPC) and answers those in flight, streams included, to their end, then it exits. Three requests
 * sent, three outcomes checked. ilb runs as its own process, as
 * in production ({@code ilb.Ilb}), so that the signal, Camel Main's shutdown hook and the exit are the real ones.
 */
class ShutdownDrainTest {

    private final Servers servers = new Servers();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void onSigtermIlbTurnsUnreadyThenFinishesItsStreamsAndRequestsThenExits() throws Exception {
        // 60 tokens 80 ms apart: a response takes about 5 s, so both are in flight when the signal comes and the drain
        // begins
        SimulatedBackend backend = servers.backend(new SimulatorOptions().models("m").ttftMs(10).itlMs(80));
        int management = Appliance.freePort();
        int grpcPort = Appliance.freePort();
        try (IlbProcess ilb = IlbProcess.start(Path.of("target", "shutdown-drain-test", "run-"
                        + ProcessHandle.current().pid()), pool("m", "round-robin", backend("slow", backend)),
                "ilb.batch.enabled=false", "ilb.grpc.host=127.0.0.1", "ilb.grpc.port=" + grpcPort,
                "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                "camel.management.port=" + management,
                // how long load balancers get to notice: short here, as the test has none that must notice
                "ilb.shutdown.drainDelay=1s")) {
            String observe = "http://127.0.0.1:" + management + "/observe/health";
            ManagedChannel grpc = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
            try {
                await().atMost(60, TimeUnit.SECONDS).until(() -> status(observe + "/ready") == 200);

                CompletableFuture<HttpResponse<String>> stream = send(ilb, true);
                CompletableFuture<HttpResponse<String>> request = send(ilb, false);
                await().until(() -> backend.running() == 2);

                ilb.terminate();

                await().until(() -> status(observe + "/ready") == 503);
                assertThat(status(observe + "/live")).isEqualTo(200);
                // the APIs' own readiness says so too: KServe's over HTTP, and gRPC's health service
                assertThat(status(ilb.baseUrl() + "/v2/health/ready")).isEqualTo(503);
                await().until(() -> grpcHealth(grpc) == HealthCheckResponse.ServingStatus.NOT_SERVING);
                assertThat(stream.isDone()).as("the stream still in flight when readiness went down").isFalse();
                // once the drain delay is over, a new request is turned away (its client tries another replica)
                await().until(() -> Files.readString(ilb.log()).contains("Draining: taking no new requests"));
                HttpResponse<String> late = send(ilb, false).get(30, TimeUnit.SECONDS);
                assertThat(late.statusCode()).isEqualTo(503);
                assertThat(late.body()).contains("shutting_down");
                // and a new gRPC call too (GOAWAY: the server takes no new call)
                await().until(() -> grpcRefused(grpc));
                assertThat(stream.isDone()).as("the stream still in flight when the drain began").isFalse();

                HttpResponse<String> streamed = stream.get(30, TimeUnit.SECONDS);
                assertThat(streamed.statusCode()).isEqualTo(200);
                assertThat(streamed.body().strip()).endsWith("data: [DONE]");
                assertThat(streamed.body().split("\n\n")).hasSizeGreaterThan(60);
                HttpResponse<String> answered = request.get(30, TimeUnit.SECONDS);
                assertThat(answered.statusCode()).isEqualTo(200);
                assertThat(answered.body()).contains("\"completion_tokens\":60");

                assertThat(ilb.process().waitFor(60, TimeUnit.SECONDS)).as("ilb exited").isTrue();
                assertThat(ilb.process().exitValue()).isIn(0, 143);
            } catch (AssertionError | Exception e) {
                throw new AssertionError(e.getMessage() + "\n--- ilb's output (" + ilb.log() + "):\n"
                        + Files.readString(ilb.log()), e);
            } finally {
                grpc.shutdownNow();
            }
        }
    }

    private CompletableFuture<HttpResponse<String>> send(IlbProcess ilb, boolean stream) {
        String body = "{\"model\":\"m\",\"stream\":" + stream + ",\"max_tokens\":60,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"tell a story\"}]}";
        return http.sendAsync(HttpRequest.newBuilder(URI.create(ilb.baseUrl() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + Appliance.API_KEY).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HealthCheckResponse.ServingStatus grpcHealth(ManagedChannel channel) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }

    /** Whether a new call fails UNAVAILABLE: no server takes it. */
    private static boolean grpcRefused(ManagedChannel channel) {
        try {
            grpcHealth(channel);
            return false;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() == Status.Code.UNAVAILABLE;
        }
    }

    private int status(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }
}
