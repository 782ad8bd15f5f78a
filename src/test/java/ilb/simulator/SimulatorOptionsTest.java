package ilb.simulator;

import ilb.inference.Protocol;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimulatorOptionsTest {

    @Test
    void startsFromCommandLineFlags() {
        SimulatorOptions options = SimulatorOptions.parse("--model", "llama,llama-chat", "--max-num-seqs", "4",
                "--itl-ms", "25", "--error-rate", "0.5", "--retry-after", "3");
        assertThat(options.models).containsExactly("llama", "llama-chat");
        assertThat(options.maxNumSeqs).isEqualTo(4);
        assertThat(options.itlMs).isEqualTo(25.0);
        assertThat(options.faults().errorRate).isEqualTo(0.5);
        assertThat(options.faults().retryAfterSeconds).isEqualTo(3);
        assertThat(options.protocol).isEqualTo(Protocol.HTTP);
        assertThat(SimulatorOptions.parse("--protocol", "grpc").protocol).isEqualTo(Protocol.GRPC);
        assertThatThrownBy(() -> SimulatorOptions.parse("--protocol", "http3"))
                .hasMessage("--protocol is http or grpc, not http3");
        assertThatThrownBy(() -> SimulatorOptions.parse("--no-such-flag", "1"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tlsFlagsGoTogether() {
        SimulatorOptions options = SimulatorOptions.parse("--tls-cert", "s.pem", "--tls-key", "s-key.pem",
                "--tls-client-ca", "ca.pem");
        assertThat(options.tlsCert).isEqualTo("s.pem");
        assertThat(options.tlsKey).isEqualTo("s-key.pem");
        assertThat(options.tlsClientCa).isEqualTo("ca.pem");
        assertThatThrownBy(() -> SimulatedBackend.start(SimulatorOptions.parse("--tls-cert", "s.pem")))
                .hasMessage("--tls-cert and --tls-key go together");
        assertThatThrownBy(() -> SimulatedBackend.start(SimulatorOptions.parse("--tls-client-ca", "ca.pem")))
                .hasMessage("--tls-client-ca needs --tls-cert and --tls-key");
    }
}
