package ilb.simulator;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ilb.inference.Protocol;

/**
 * How a simulated backend behaves. Every option is a command-line flag of the same name
 * ({@code --max-num-seqs 8}); fault flags ({@code --error-rate 0.1}) go to {@link Faults}.
 */
public final class SimulatorOptions {

    String host = "127.0.0.1";
    int port;
    /** The wire it serves on its port: HTTP (OpenAI and KServe v2 REST) or gRPC (KServe v2's service and health). */
    Protocol protocol = Protocol.HTTP;
    List<String> models = List.of("sim-model");
    List<String> versions = List.of("1");
    /** Sequences decoded together (vLLM {@code --max-num-seqs}); more wait in a FIFO queue. */
    int maxNumSeqs = 16;
    /** Fixed part of the time to first token. */
    double ttftMs = 30;
    /** Prefill cost of each prompt token that is not in the prefix cache. */
    double prefillMsPerToken = 0.05;
    /** Inter-token latency while decoding. */
    double itlMs = 10;
    /** Output tokens when the request does not set {@code max_tokens}. */
    int outputTokens = 16;
    int blockTokens = 16;
    int kvCacheTokens = 65_536;
    int embeddingDims = 16;
    final Faults faults = new Faults();
    /** Its certificate chain and key (PEM): set, it serves HTTPS (or gRPC over TLS) only. */
    String tlsCert;
    String tlsKey;
    /** PEM authorities whose client certificates it requires (mTLS); null: it asks for none. */
    String tlsClientCa;

    public static SimulatorOptions parse(String... args) {
        SimulatorOptions options = new SimulatorOptions();
        Map<String, String> faults = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (!flag.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --flag value, got: " + flag);
            }
            String name = flag.substring(2);
            String value = args[++i];
            if (!options.set(name, value)) {
                faults.put(name, value);
            }
        }
        options.faults.apply(faults);
        return options;
    }

    private boolean set(String name, String value) {
        switch (name) {
            case "host" -> host = value;
            case "port" -> port = Integer.parseInt(value);
            case "protocol" -> protocol = protocol(value);
            case "model", "models" -> models = List.of(value.split(","));
            case "versions" -> versions = List.of(value.split(","));
            case "max-num-seqs" -> maxNumSeqs = Integer.parseInt(value);
            case "ttft-ms" -> ttftMs = Double.parseDouble(value);
            case "prefill-ms-per-token" -> prefillMsPerToken = Double.parseDouble(value);
            case "itl-ms" -> itlMs = Double.parseDouble(value);
            case "output-tokens" -> outputTokens = Integer.parseInt(value);
            case "block-tokens" -> blockTokens = Integer.parseInt(value);
            case "kv-cache-tokens" -> kvCacheTokens = Integer.parseInt(value);
            case "embedding-dims" -> embeddingDims = Integer.parseInt(value);
            case "tls-cert" -> tlsCert = value;
            case "tls-key" -> tlsKey = value;
            case "tls-client-ca" -> tlsClientCa = value;
            default -> {
                return false;
            }
        }
        return true;
    }

    private static Protocol protocol(String name) {
        for (Protocol protocol : Protocol.values()) {
            if (protocol.label().equals(name.toLowerCase(Locale.ROOT))) {
                return protocol;
            }
        }
        throw new IllegalArgumentException("--protocol is http or grpc, not " + name);
    }

    public SimulatorOptions port(int port) {
        this.port = port;
        return this;
    }

    public SimulatorOptions protocol(Protocol protocol) {
        this.protocol = protocol;
        return this;
    }

    public SimulatorOptions models(String... models) {
        this.models = List.of(models);
        return this;
    }

    public SimulatorOptions versions(String... versions) {
        this.versions = List.of(versions);
        return this;
    }

    public SimulatorOptions maxNumSeqs(int maxNumSeqs) {
        this.maxNumSeqs = maxNumSeqs;
        return this;
    }

    public SimulatorOptions ttftMs(double ttftMs) {
        this.ttftMs = ttftMs;
        return this;
    }

    public SimulatorOptions prefillMsPerToken(double prefillMsPerToken) {
        this.prefillMsPerToken = prefillMsPerToken;
        return this;
    }

    public SimulatorOptions itlMs(double itlMs) {
        this.itlMs = itlMs;
        return this;
    }

    public SimulatorOptions outputTokens(int outputTokens) {
        this.outputTokens = outputTokens;
        return this;
    }

    /** Serves TLS with this certificate chain and key (PEM files). */
    public SimulatorOptions tls(Path certFile, Path keyFile) {
        this.tlsCert = certFile.toString();
        this.tlsKey = keyFile.toString();
        return this;
    }

    /** Requires a client certificate of these authorities (a PEM file); only with {@link #tls}. */
    public SimulatorOptions tlsClientCa(Path caFile) {
        this.tlsClientCa = caFile.toString();
        return this;
    }

    public Faults faults() {
        return faults;
    }
}
