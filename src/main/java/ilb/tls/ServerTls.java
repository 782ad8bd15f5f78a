package ilb.tls;

import java.util.Optional;
import java.util.function.Function;

import javax.net.ssl.SSLContext;

import io.netty.handler.ssl.SslContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of ilb's servers serve TLS, from the properties: the inference API ({@code ilb.tls.*}: HTTP, and gRPC unless
 * {@code ilb.grpc.tls=false}), the console ({@code ilb.console.tls.*}) and the management port
 * ({@code ilb.management.tls.*}). The API's and the console's certificates are checked for renewal every
 * {@code ilb.tls.reloadInterval} ({@link CertificateReloads}).
 *
 * @param termination the API's TLS ({@code #tlsTermination} in routes/api.yaml), plaintext when off
 * @param grpc        the gRPC entry's context, or null for plaintext
 * @param console     the console's context, or null for plaintext
 */
public record ServerTls(TlsTermination termination, SslContext grpc, SSLContext console) {

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    /**
     * Reads the settings, has {@code reloads} check the API's and the console's certificates, and gives the
     * management server (made by Camel Main before ilb configures itself, started after) its TLS.
     *
     * @param handshakeTimeoutMillis how long a TLS handshake on the API may take
     */
    public static ServerTls configure(CamelContext context, CertificateReloads reloads, long handshakeTimeoutMillis)
            throws Exception {
        Function<String, Optional<String>> property = name -> context.getPropertiesComponent().resolveProperty(name)
                .filter(value -> !value.isBlank());
        Optional<ReloadingKeyManager> api = TlsSettings.keyManager(property, "ilb.tls", "the inference API");
        boolean consoleOn = property.apply("ilb.console.enabled").map(String::trim).orElse("false").equals("true");
        Optional<ReloadingKeyManager> console = consoleOn
                ? TlsSettings.keyManager(property, "ilb.console.tls", "the console") : Optional.empty();
        Optional<ReloadingKeyManager> management = TlsSettings.keyManager(property, "ilb.management.tls",
                "the management port (read at start: a renewal needs a restart)");
        boolean grpcTls = !property.apply("ilb.grpc.tls").map(String::trim).orElse("true").equals("false");

        api.ifPresent(reloads::add);
        console.ifPresent(reloads::add);
        if (management.isPresent()) {
            ManagementHttpServer server = context.hasService(ManagementHttpServer.class);
            if (server == null) {
                throw new IllegalArgumentException("ilb.management.tls.* is set, but the management server is off"
                        + " (camel.management.enabled=false)");
            }
            server.setSslContextParameters(ManagementTls.parameters(management.get().current()));
        }
        if (api.isPresent() && !grpcTls) {
            LOG.warn("The gRPC entry serves plaintext (ilb.grpc.tls=false) while the HTTP API serves TLS");
        }
        return new ServerTls(new TlsTermination(api.isPresent() ? TlsContexts.http(api.get()) : null,
                handshakeTimeoutMillis),
                api.isPresent() && grpcTls ? TlsContexts.grpc(api.get()) : null,
                console.isPresent() ? TlsContexts.jdk(console.get()) : null);
    }
}
