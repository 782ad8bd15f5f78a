package ilb.protocols;

import org.junit.jupiter.api.Test;

import static ilb.protocols.ConnectionTimeouts.Expired.IDLE;
import static ilb.protocols.ConnectionTimeouts.Expired.NONE;
import static ilb.protocols.ConnectionTimeouts.Expired.READ;
import static org.assertj.core.api.Assertions.assertThat;

class ConnectionTimeoutsTest {

    private static final long READ_NANOS = 30;
    private static final long IDLE_NANOS = 60;

    private final ConnectionTimeouts timeouts = new ConnectionTimeouts(READ_NANOS, IDLE_NANOS, 1000);

    @Test
    void aNewConnectionIsIdle() {
        assertThat(timeouts.deadline()).isEqualTo(1060);
        assertThat(timeouts.expired(1059)).isEqualTo(NONE);
        assertThat(timeouts.expired(1060)).isEqualTo(IDLE);
    }

    @Test
    void aRequestMustArriveWholeWithinTheReadTimeoutOfItsFirstByte() {
        timeouts.requestBytes(1010);
        timeouts.requestBytes(1035);
        assertThat(timeouts.deadline()).isEqualTo(1040);
        assertThat(timeouts.expired(1039)).isEqualTo(NONE);
        assertThat(timeouts.expired(1040)).isEqualTo(READ);
    }

    @Test
    void noTimeoutWhileAResponseIsOwed() {
        timeouts.requestBytes(1010);
        timeouts.requestRead();
        assertThat(timeouts.deadline()).isEqualTo(ConnectionTimeouts.NEVER);
        assertThat(timeouts.expired(1_000_000)).isEqualTo(NONE);
        assertThat(timeouts.nothingOwed()).isFalse();
    }

    @Test
    void idleAgainFromTheEndOfTheResponse() {
        timeouts.requestBytes(1010);
        timeouts.requestRead();
        timeouts.responseWritten(5000);
        assertThat(timeouts.nothingOwed()).isTrue();
        assertThat(timeouts.deadline()).isEqualTo(5060);
        assertThat(timeouts.expired(5060)).isEqualTo(IDLE);
    }

    @Test
    void bytesWhileAResponseIsOwedDoNotCutItAndGetTheirReadTimeoutOnceItIsWritten() {
        timeouts.requestBytes(1010);
        timeouts.requestRead();
        // a pipelined request, or a stray line feed, during a long stream
        timeouts.requestBytes(1020);
        assertThat(timeouts.deadline()).isEqualTo(ConnectionTimeouts.NEVER);
        assertThat(timeouts.expired(1_000_000)).isEqualTo(NONE);
        timeouts.responseWritten(2000);
        assertThat(timeouts.deadline()).isEqualTo(2030);
        assertThat(timeouts.expired(2030)).isEqualTo(READ);
    }

    @Test
    void pipelinedRequestsAreOwedInTurn() {
        timeouts.requestBytes(1010);
        timeouts.requestRead();
        timeouts.requestBytes(1020);
        timeouts.requestRead();
        timeouts.responseWritten(1100);
        assertThat(timeouts.deadline()).isEqualTo(ConnectionTimeouts.NEVER);
        timeouts.responseWritten(1200);
        assertThat(timeouts.deadline()).isEqualTo(1260);
    }
}
