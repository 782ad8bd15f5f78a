package ilb.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocket;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import ilb.Appliance;
import ilb.Servers;
import ilb.TestCertificates;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;
import ilb.protocols.grpc.v2.ServerReadyRequest;
import ilb.simulator.SimulatorOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ilb serving TLS to real clients, with certificates of a CA made for the test: the OpenAI SDK, curl and a grpc-java
 * client through the API, the console and the management port over HTTPS, a certificate renewed while ilb serves,
 * and clients that cannot speak TLS to it.
 */
class ServerTlsTest {

    @TempDir
    static Path dir;
    private static final Servers SERVERS = new Servers();
    private static TestCertificates ca;
    /** The files ilb serves the API from (replaced by the renewal test). */
    private static Path certFile;
    private static Path keyFile;
    private static Appliance ilb;
    private static int consolePort;
    private static int managementPort;
    private static HttpClient https;

    @BeforeAll
    static void start() throws IOException {
        ca = TestCertificates.authority(dir.resolve("issued"), "test-ca");
        TestCertificates.Issued api = ca.server("api", "localhost", "127.0.0.1");
        Path served = Files.createDirectories(dir.resolve("served"));
        certFile = Files.copy(api.certFile(), served.resolve("tls.crt"));
        keyFile = Files.copy(api.keyFile(), served.resolve("tls.key"));
        TestCertificates.Issued console = ca.server("console", "localhost", "127.0.0.1");
        consolePort = Appliance.freePort();
        managementPort = Appliance.freePort();
        ilb = SERVERS.ilb(pool("m", "round-robin", backend("m-0", SERVERS.backend(new SimulatorOptions().models("m")
                        .ttftMs(1).itlMs(1)))),
                "ilb.tls.certFile=" + certFile, "ilb.tls.keyFile=" + keyFile,
                // the test checks for renewals itself
                "ilb.tls.reloadInterval=1h",
                // the handshake's bound (the idle timeout, 60 s, is longer than the test waits)
                "ilb.http.requestReadTimeout=2s",
                "ilb.console.enabled=true", "ilb.console.host=127.0.0.1", "ilb.console.port=" + consolePort,
                "ilb.console.users=" + dir.resolve("users.properties"),
                "ilb.console.tls.certFile=" + console.certFile(), "ilb.console.tls.keyFile=" + console.keyFile(),
                "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                "ilb.management.port=" + managementPort,
                "ilb.management.tls.certFile=" + api.certFile(), "ilb.management.tls.keyFile=" + api.keyFile());
        https = HttpClient.newBuilder().sslContext(ca.clientContext()).version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() throws Exception {
        SERVERS.close();
    }

    @Test
    void theOpenAiSdkCompletesAndStreamsOverHttps() {
        OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(apiUrl("/v1")).apiKey(Appliance.API_KEY)
                .sslSocketFactory(ca.clientContext().getSocketFactory()).trustManager(ca.trustManager())
                .maxRetries(0).build();
        try {
            ChatCompletion completion = openai.chat().completions().create(ChatCompletionCreateParams.builder()
                    .model("m").addUserMessage("Say three words.").maxCompletionTokens(3).build());
            assertThat(completion.choices().get(0).message().content()).hasValue("the quick brown");

            StringBuilder text = new StringBuilder();
            try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(
                    ChatCompletionCreateParams.builder().model("m").addUserMessage("Tell me a story.")
                            .maxCompletionTokens(4).build())) {
                stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content()
                        .ifPresent(text::append)));
            }
            assertThat(text.toString()).isEqualTo("the quick brown fox");
        } finally {
            openai.close();
        }
    }

    @Test
    void curlWithTheCaGetsModelsAndAStreamAndWithoutItFailsVerification() throws Exception {
        Path caFile = ca.caFile();
        Curl models = curl("--cacert", caFile.toString(), "-H", "authorization: Bearer " + Appliance.API_KEY,
                "-w", "\n%{http_code}", apiUrl("/v1/models"));
        assertThat(models.exit()).isZero();
        assertThat(models.output()).contains("\"m\"").endsWith("\n200");

        String streamed = Appliance.chat("m", 3).replaceFirst("\\{", "{\"stream\":true,");
        Curl stream = curl("-N", "--cacert", caFile.toString(), "-H", "authorization: Bearer " + Appliance.API_KEY,
                "-H", "content-type: application/json", "-d", streamed, apiUrl("/v1/chat/completions"));
        assertThat(stream.exit()).isZero();
        assertThat(stream.output()).contains("data: {").endsWith("data: [DONE]\n\n");

        // refused from its head, as over plaintext (HttpEdge sees the decrypted request)
        Curl keyless = curl("--cacert", caFile.toString(), "-w", "\n%{http_code}", apiUrl("/v1/models"));
        assertThat(keyless.output()).contains("missing_api_key").endsWith("\n401");

        Curl untrusted = curl(apiUrl("/v1/models"));
        assertThat(untrusted.exit()).as("curl: peer certificate cannot be authenticated").isEqualTo(60);
    }

    @Test
    void aGrpcClientTrustingTheCaCallsTheEntryOverTls() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", ilb.grpcPort())
                .sslContext(GrpcSslContexts.forClient().trustManager(ca.caFile().toFile()).build()).build();
        try {
            Metadata key = new Metadata();
            key.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + Appliance.API_KEY);
            GRPCInferenceServiceBlockingStub stub = GRPCInferenceServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key));

            assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
            ModelInferResponse response = stub.modelInfer(ModelInferRequest.newBuilder().setModelName("m").setId("r1")
                    .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
                            .addShape(1).addShape(2).setContents(InferTensorContents.newBuilder().addFp32Contents(1)
                                    .addFp32Contents(2)))
                    .build());
            assertThat(response.getModelName()).isEqualTo("m");
            assertThat(response.getId()).isEqualTo("r1");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aPlaintextGrpcClientIsRefused() throws Exception {
        ManagedChannel plaintext = NettyChannelBuilder.forAddress("127.0.0.1", ilb.grpcPort()).usePlaintext().build();
        try {
            assertThatThrownBy(() -> GRPCInferenceServiceGrpc.newBlockingStub(plaintext)
                    .withDeadlineAfter(10, TimeUnit.SECONDS).serverReady(ServerReadyRequest.getDefaultInstance()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        } finally {
            plaintext.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRenewedCertificateIsServedToNewConnectionsWhileRequestsGoOn() throws Exception {
        BigInteger before = servedSerial();
        // a client with a connection open before the renewal
        HttpClient kept = HttpClient.newBuilder().sslContext(ca.clientContext())
                .version(HttpClient.Version.HTTP_1_1).build();
        assertThat(kept.send(apiRequest("/v1/models"), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);

        // the files moved into place, the key first
        TestCertificates.Issued renewed = ca.server("renewed", "localhost", "127.0.0.1");
        ReloadingKeyManagerTest.replace(renewed.keyFile(), keyFile);
        ReloadingKeyManagerTest.replace(renewed.certFile(), certFile);
        reloads().checkAll();

        assertThat(servedSerial()).isNotEqualTo(before).isEqualTo(renewed.certificate().getSerialNumber());
        assertThat(kept.send(apiRequest("/v1/models"), HttpResponse.BodyHandlers.ofString()).statusCode())
                .as("the connection opened before").isEqualTo(200);
        assertThat(https.send(apiRequest("/v1/models"), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);

        // a certificate whose key is not the one beside it: refused, the renewed pair stays
        TestCertificates.Issued mismatched = ca.server("mismatched", "localhost", "127.0.0.1");
        ReloadingKeyManagerTest.replace(mismatched.certFile(), certFile);
        reloads().checkAll();
        assertThat(servedSerial()).isEqualTo(renewed.certificate().getSerialNumber());
        assertThat(https.send(apiRequest("/v1/models"), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
        ReloadingKeyManagerTest.replace(renewed.certFile(), certFile);
    }

    @Test
    void plaintextHttpToTheTlsPortIsClosedAndIlbServesOn() throws Exception {
        HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        int sent = 5;
        int refused = 0;
        for (int i = 0; i < sent; i++) {
            try {
                plain.send(HttpRequest.newBuilder(URI.create(ilb.baseUrl() + "/v1/models"))
                        .header("authorization", "Bearer " + Appliance.API_KEY).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                refused++;
            }
        }
        assertThat(refused).isEqualTo(sent);
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < sent; i++) {
            statuses.add(https.send(apiRequest("/v1/models"), HttpResponse.BodyHandlers.ofString()).statusCode());
        }
        assertThat(statuses).containsOnly(200).hasSize(sent);
    }

    @Test
    void aClientThatConnectsAndNeverShakesHandsIsClosed() throws Exception {
        try (Socket silent = new Socket("127.0.0.1", URI.create(ilb.baseUrl()).getPort())) {
            // a guard, not a measure: far longer than the handshake may take, shorter than the idle timeout
            silent.setSoTimeout(30_000);
            assertThat(silent.getInputStream().read()).as("closed by ilb").isEqualTo(-1);
        }
        assertThat(https.send(apiRequest("/v1/models"), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
    }

    @Test
    void theConsolesLoginPageAndTheManagementPortAreServedOverHttps() throws Exception {
        // to the login page, which a redirect to plain HTTP would not reach (the client does not follow those)
        HttpClient following = HttpClient.newBuilder().sslContext(ca.clientContext())
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpResponse<String> console = following.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:"
                + consolePort + "/hawtio/")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(console.statusCode()).isEqualTo(200);
        assertThat(console.uri().getScheme()).isEqualTo("https");
        assertThat(console.body()).containsIgnoringCase("<html");

        HttpResponse<String> health = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:"
                + managementPort + "/observe/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + managementPort + "/observe/health")).build(),
                HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    }

    private static String apiUrl(String path) {
        return ilb.baseUrl().replace("http://", "https://") + path;
    }

    private static HttpRequest apiRequest(String path) {
        return HttpRequest.newBuilder(URI.create(apiUrl(path))).timeout(Duration.ofSeconds(10))
                .header("authorization", "Bearer " + Appliance.API_KEY).build();
    }

    private static CertificateReloads reloads() {
        return ilb.context().hasService(CertificateReloads.class);
    }

    /** The serial of the certificate a new connection to the API is served. */
    private static BigInteger servedSerial() throws IOException {
        int port = URI.create(ilb.baseUrl()).getPort();
        try (SSLSocket socket = (SSLSocket) ca.clientContext().getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    private record Curl(int exit, String output) {
    }

    private static Curl curl(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/bin/curl", "-sS", "--max-time", "20"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Curl(process.exitValue(), output);
    }
}
