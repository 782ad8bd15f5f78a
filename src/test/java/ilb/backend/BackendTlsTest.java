package ilb.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.TestCertificates;
import ilb.inference.Protocol;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import ilb.telemetry.Scrape;
import ilb.tls.CertificateReloads;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferRequest.InferInputTensor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ilb talks TLS to {@code https://} and {@code grpcs://} backends (real TLS servers on loopback, certificates made at
 * run time): verified against a trust file, with a client certificate where the server wants one. A certificate
 * that is expired, of an authority not trusted or for another name is that backend's connect failure, with the
 * reason where an operator looks (its health), and requests go to a good backend instead.
 */
class BackendTlsTest {

    private static final String[] MODELS = {"m", "g", "expired", "untrusted", "mismatch", "plain", "unverified",
        "nocert", "withcert"};

    @TempDir
    static Path dir;
    private static TestCertificates ca;
    private static TestCertificates.Issued localhost;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.authority(dir, "test-ca");
        localhost = ca.server("localhost", "localhost", "127.0.0.1");
    }

    private static SimulatorOptions tlsServer(TestCertificates.Issued certificate) {
        return new SimulatorOptions().models(MODELS).ttftMs(1).itlMs(1).tls(certificate.certFile(),
                certificate.keyFile());
    }

    /** The server's url with {@code localhost} for its address: the name its certificate is checked against. */
    private static String byName(SimulatedBackend server) {
        return server.url().replace("127.0.0.1", "localhost");
    }

    private static String trust() {
        return "trustFile: " + ca.caFile();
    }

    @Test
    void chatStreamsAndKServeCallsGoOverTls() throws Exception {
        try (Servers servers = new Servers()) {
            SimulatedBackend https = servers.backend(tlsServer(localhost));
            SimulatedBackend grpcs = servers.backend(tlsServer(localhost).protocol(Protocol.GRPC));
            assertThat(https.url()).startsWith("https://");
            assertThat(grpcs.url()).startsWith("grpcs://");
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("b0", byName(https),
                    trust())) + PoolRoute.pool("g", "round-robin", PoolRoute.backend("g0", byName(grpcs), trust())));

            HttpResponse<String> chat = ilb.post("/v1/chat/completions", Appliance.chat("m", 5));
            assertThat(chat.statusCode()).isEqualTo(200);
            assertThat(Appliance.servedBy(chat)).isEqualTo("b0");
            HttpResponse<InputStream> stream = ilb.openStream("m", 4);
            assertThat(stream.statusCode()).isEqualTo(200);
            assertThat(events(stream)).last().isEqualTo("data: [DONE]");

            // KServe REST to a gRPC backend, and the gRPC entry's call to it, over TLS
            assertThat(ilb.post("/v2/models/g/infer", "{\"id\":\"r1\",\"inputs\":[{\"name\":\"INPUT0\","
                    + "\"datatype\":\"FP32\",\"shape\":[1,1],\"data\":[1]}]}").statusCode()).isEqualTo(200);
            assertThat(modelInfer(ilb)).isEqualTo(1);
            assertThat(https.inferenceRequests()).isEqualTo(2);
            assertThat(grpcs.inferenceRequests()).isEqualTo(2);
            // health checks went over TLS too
            assertThat(ilb.backend("b0").checkHealthNow().get(10, TimeUnit.SECONDS)).startsWith("healthy");
            assertThat(ilb.backend("g0").checkHealthNow().get(10, TimeUnit.SECONDS)).startsWith("healthy");
        }
    }

    @Test
    void aBadCertificateIsItsBackendsConnectFailureAndRequestsGoToAGoodOne() throws Exception {
        int management = Appliance.freePort();
        TestCertificates other = TestCertificates.authority(dir, "other-ca");
        try (Servers servers = new Servers()) {
            SimulatedBackend good = servers.backend(tlsServer(localhost));
            SimulatedBackend expired = servers.backend(tlsServer(ca.expiredServer("expired", "localhost",
                    "127.0.0.1")));
            SimulatedBackend untrusted = servers.backend(tlsServer(other.server("untrusted", "localhost",
                    "127.0.0.1")));
            SimulatedBackend mismatch = servers.backend(tlsServer(ca.server("other-name", "other.example")));
            SimulatedBackend plain = servers.backend(new SimulatorOptions().models(MODELS).ttftMs(1).itlMs(1));
            Appliance ilb = servers.ilb(
                    pairedWithGood("expired", good, byName(expired)) + pairedWithGood("untrusted", good,
                            byName(untrusted)) + pairedWithGood("mismatch", good, byName(mismatch))
                            // an https:// url for a server that speaks plain HTTP
                            + pairedWithGood("plain", good, "https://localhost:" + plain.port())
                            + PoolRoute.pool("unverified", "round-robin", PoolRoute.backend("unverified-bad",
                            byName(mismatch), trust(), "verifyHostname: false")),
                    "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                    "camel.management.port=" + management);

            int sent = 0;
            int answered = 0;
            for (String model : List.of("expired", "untrusted", "mismatch", "plain")) {
                for (int i = 0; i < 6; i++) {
                    HttpResponse<String> response = ilb.post("/v1/chat/completions", Appliance.chat(model, 3));
                    sent++;
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                    assertThat(Appliance.servedBy(response)).isEqualTo(model + "-good");
                    answered++;
                }
            }
            assertThat(answered).isEqualTo(sent).isEqualTo(24);
            // verifyHostname=false takes the certificate for another name
            HttpResponse<String> unverified = ilb.post("/v1/chat/completions", Appliance.chat("unverified", 3));
            assertThat(unverified.statusCode()).isEqualTo(200);
            assertThat(Appliance.servedBy(unverified)).isEqualTo("unverified-bad");

            assertRefused(ilb, "expired-bad", expired, "certificate has expired");
            assertRefused(ilb, "untrusted-bad", untrusted,
                    "no certificate of a trusted authority (PKIX path building failed): it is issued by CN=other-ca");
            assertRefused(ilb, "mismatch-bad", mismatch,
                    "hostname localhost does not match the certificate's names [other.example]");
            assertRefused(ilb, "plain-bad", plain, "the server does not speak TLS");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Scrape scrape = Scrape.of(management);
                for (String model : List.of("expired", "untrusted", "mismatch", "plain")) {
                    // each request that tried the bad backend first counted its failure, then went to the good one
                    assertThat(scrape.sum("ilb_backend_requests_total", "backend=" + model + "-bad",
                            "outcome=connect_error")).isPositive();
                    assertThat(scrape.sum("ilb_backend_requests_total", "backend=" + model + "-bad",
                            "outcome=success")).isZero();
                    assertThat(scrape.sum("ilb_backend_requests_total", "backend=" + model + "-good",
                            "outcome=success")).isEqualTo(6);
                }
            });
            assertThat(expired.inferenceRequests() + untrusted.inferenceRequests()).isZero();
            assertThat(mismatch.inferenceRequests()).isEqualTo(1);
        }
    }

    @Test
    void aGrpcBackendsRefusedCertificateIsItsConnectFailureToo() throws Exception {
        try (Servers servers = new Servers()) {
            SimulatedBackend good = servers.backend(tlsServer(localhost).protocol(Protocol.GRPC));
            SimulatedBackend expired = servers.backend(tlsServer(ca.expiredServer("grpc-expired", "localhost"))
                    .protocol(Protocol.GRPC));
            Appliance ilb = servers.ilb(PoolRoute.pool("g", "round-robin",
                    PoolRoute.backend("g-good", byName(good), trust()),
                    PoolRoute.backend("g-bad", byName(expired), trust(), "healthInterval: 1h")));

            for (int i = 0; i < 4; i++) {
                assertThat(modelInfer(ilb)).isEqualTo(1);
            }
            assertThat(good.inferenceRequests()).isEqualTo(4);
            assertRefused(ilb, "g-bad", expired, "certificate has expired");
        }
    }

    @Test
    void aServerThatWantsAClientCertificateTakesIlbsOnly() throws Exception {
        TestCertificates.Issued client = ca.client("ilb-client", "ilb");
        try (Servers servers = new Servers()) {
            SimulatedBackend mtls = servers.backend(tlsServer(localhost).tlsClientCa(ca.caFile()));
            Appliance ilb = servers.ilb(PoolRoute.pool("nocert", "round-robin", PoolRoute.backend("nocert-0",
                    byName(mtls), trust()))
                    + PoolRoute.pool("withcert", "round-robin", PoolRoute.backend("withcert-0", byName(mtls),
                    "tlsProfile: mtls")),
                    "ilb.backend.tls.mtls.trustFile=" + ca.caFile(),
                    "ilb.backend.tls.mtls.clientCertFile=" + client.certFile(),
                    "ilb.backend.tls.mtls.clientKeyFile=" + client.keyFile());

            assertThat(ilb.post("/v1/chat/completions", Appliance.chat("nocert", 3)).statusCode()).isEqualTo(503);
            assertThat(ilb.backend("nocert-0").checkHealthNow().get(10, TimeUnit.SECONDS)).contains(
                    "TLS handshake with nocert-0 (localhost:" + mtls.port() + ") failed:",
                    "set clientCertFile and clientKeyFile");
            HttpResponse<String> withCert = ilb.post("/v1/chat/completions", Appliance.chat("withcert", 3));
            assertThat(withCert.statusCode()).isEqualTo(200);
            assertThat(mtls.inferenceRequests()).isEqualTo(1);
        }
    }

    @Test
    void aRenewedClientCertificateIsPresentedWithoutARestart() throws Exception {
        TestCertificates.Issued stale = TestCertificates.authority(dir, "retired-ca").client("stale", "ilb");
        TestCertificates.Issued renewed = ca.client("renewed", "ilb");
        Path certFile = Files.copy(stale.certFile(), dir.resolve("renewing-client.pem"));
        Path keyFile = Files.copy(stale.keyFile(), dir.resolve("renewing-client-key.pem"));
        try (Servers servers = new Servers()) {
            SimulatedBackend mtls = servers.backend(tlsServer(localhost).tlsClientCa(ca.caFile()));
            String route = PoolRoute.pool("withcert", "round-robin", PoolRoute.backend("renewing-0", byName(mtls),
                    trust(), "clientCertFile: " + certFile, "clientKeyFile: " + keyFile));
            Appliance ilb = servers.ilb(route);
            assertThat(ilb.post("/v1/chat/completions", Appliance.chat("withcert", 3)).statusCode()).isEqualTo(503);
            assertThat(ilb.backend("renewing-0").checkHealthNow().get(10, TimeUnit.SECONDS))
                    .contains("the server refused ilb's client certificate");

            // renewed in place, as cert-manager does: new files moved over the old ones
            Files.move(Files.copy(renewed.certFile(), dir.resolve("renewed-client.tmp")), certFile,
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(Files.copy(renewed.keyFile(), dir.resolve("renewed-client-key.tmp")), keyFile,
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            // the check ilb.tls.reloadInterval would make, made now
            ilb.context().hasService(CertificateReloads.class).checkAll();

            assertThat(ilb.backend("renewing-0").checkHealthNow().get(10, TimeUnit.SECONDS)).endsWith("backend UP");
            assertThat(ilb.post("/v1/chat/completions", Appliance.chat("withcert", 3)).statusCode()).isEqualTo(200);
            assertThat(mtls.inferenceRequests()).isEqualTo(1);
        }
    }

    /** A pool of a good backend and a bad one, tried first by turns. */
    private static String pairedWithGood(String model, SimulatedBackend good, String badUrl) {
        return PoolRoute.pool(model, "round-robin",
                PoolRoute.backend(model + "-good", byName(good), trust()),
                // checked once at start (not taken out before requests try it), then when the test asks
                PoolRoute.backend(model + "-bad", badUrl, trust(), "healthInterval: 1h"));
    }

    /** The backend's health says why its certificate was refused, and two checks take it out. */
    private static void assertRefused(Appliance ilb, String id, SimulatedBackend server, String reason)
            throws Exception {
        String failed = "TLS handshake with " + id + " (localhost:" + server.port() + ") failed: " + reason;
        assertThat(ilb.backend(id).checkHealthNow().get(10, TimeUnit.SECONDS)).startsWith("unhealthy: " + failed);
        ilb.backend(id).checkHealthNow().get(10, TimeUnit.SECONDS);
        assertThat(ilb.backend(id).health()).startsWith("DOWN: " + failed);
    }

    private static List<String> events(HttpResponse<InputStream> stream) throws Exception {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            return reader.lines().filter(line -> line.startsWith("data:")).toList();
        }
    }

    /** A ModelInfer through ilb's gRPC entry; the number of outputs it answered. */
    private static int modelInfer(Appliance ilb) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", ilb.grpcPort()).usePlaintext().build();
        try {
            Metadata key = new Metadata();
            key.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + Appliance.API_KEY);
            return GRPCInferenceServiceGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .modelInfer(ModelInferRequest.newBuilder().setModelName("g").setId("r2")
                            .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
                                    .addShape(1).addShape(1)
                                    .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
                            .build())
                    .getOutputsCount();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
