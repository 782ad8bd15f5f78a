package ilb.backend;

import java.net.URI;
import java.util.concurrent.atomic.AtomicReference;

import ilb.inference.BackendStream;
import ilb.inference.TestStreams;
import ilb.inference.Protocol;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A lease ends once, with what its attempt came to, and gives its place back as it does. */
class LeaseTest {

    /** Ejected after one failure; no health path, so a backend marked down stays down for an hour. */
    private final Backend backend = new Backend(new BackendSettings("b", URI.create("http://127.0.0.1:1"),
            Protocol.HTTP, 0, 1, 2, "", "", "", "", 1000, 1000, 1000, 3_600_000, 200, null, null),
            CircuitBreakerConfig.ofDefaults(), new OutlierEjection(1, 10_000, 10_000), 64);

    private CircuitBreaker.Metrics breaker() {
        return backend.breaker().getMetrics();
    }

    @Test
    void servedIsASuccessForTheBreakerAndALatencySample() {
        Lease lease = backend.tryAcquire();
        assertThat(backend.inFlight()).isEqualTo(1);

        lease.end(Lease.Outcome.SERVED);

        assertThat(backend.inFlight()).isZero();
        assertThat(breaker().getNumberOfSuccessfulCalls()).isEqualTo(1);
        assertThat(breaker().getNumberOfFailedCalls()).isZero();
        assertThat(backend.latency().cost(lease.startNanos())).isPositive();
        assertThat(backend.isEjected()).isFalse();
    }

    @Test
    void failedCountsAgainstTheBreakerAndTowardsEjection() {
        backend.tryAcquire().end(Lease.Outcome.failed("HTTP 500"));

        assertThat(backend.inFlight()).isZero();
        assertThat(breaker().getNumberOfFailedCalls()).isEqualTo(1);
        assertThat(backend.isEjected()).isTrue();
        assertThat(backend.isDown()).isFalse();
    }

    @Test
    void unreachableIsAFailureThatAlsoTakesTheBackendOut() {
        backend.tryAcquire().end(Lease.Outcome.unreachable("connection refused"));

        assertThat(backend.inFlight()).isZero();
        assertThat(breaker().getNumberOfFailedCalls()).isEqualTo(1);
        assertThat(backend.isDown()).isTrue();
        assertThat(backend.health()).isEqualTo("DOWN: connection refused");
    }

    @Test
    void fullIsNeitherSuccessNorFailureAndCoolsTheBackendBeforeItsPlaceIsFree() {
        Lease lease = backend.tryAcquire();
        AtomicReference<Backend.Availability> whenFreed = new AtomicReference<>();
        backend.onRelease(() -> whenFreed.set(backend.availability(System.nanoTime())));

        lease.end(Lease.Outcome.full(60_000));

        assertThat(backend.inFlight()).isZero();
        assertThat(breaker().getNumberOfBufferedCalls()).isZero();
        assertThat(whenFreed.get()).isEqualTo(Backend.Availability.COOLING);
        assertThat(backend.coolingMillis(System.nanoTime())).isBetween(1L, 60_000L);
    }

    @Test
    void excusedIsForgottenByTheBreaker() {
        backend.tryAcquire().end(Lease.Outcome.EXCUSED);

        assertThat(backend.inFlight()).isZero();
        assertThat(breaker().getNumberOfBufferedCalls()).isZero();
        assertThat(backend.availability(System.nanoTime())).isEqualTo(Backend.Availability.AVAILABLE);
    }

    @Test
    void onlyTheFirstEndCounts() {
        Lease lease = backend.tryAcquire();
        backend.tryAcquire();

        lease.end(Lease.Outcome.SERVED);
        lease.end(Lease.Outcome.failed("late"));
        lease.end(Lease.Outcome.EXCUSED);

        assertThat(backend.inFlight()).isEqualTo(1);
        assertThat(breaker().getNumberOfSuccessfulCalls()).isEqualTo(1);
        assertThat(breaker().getNumberOfFailedCalls()).isZero();
    }

    @Test
    void aStreamIsServedAtItsFirstChunkAndHoldsItsPlaceUntilItIsDone() {
        BackendStream stream = TestStreams.unconnected();
        Lease lease = backend.tryAcquire();

        lease.endWhenDone(stream);

        // its time to first token is in, and the place still taken
        assertThat(breaker().getNumberOfSuccessfulCalls()).isEqualTo(1);
        assertThat(backend.latency().cost(lease.startNanos())).isPositive();
        assertThat(backend.inFlight()).isEqualTo(1);
        // a later end changes nothing: the stream ends the lease
        lease.end(Lease.Outcome.failed("late"));
        assertThat(backend.inFlight()).isEqualTo(1);
        assertThat(breaker().getNumberOfFailedCalls()).isZero();

        stream.cancel();

        assertThat(backend.inFlight()).isZero();
        assertThat(breaker().getNumberOfSuccessfulCalls()).isEqualTo(1);
    }
}
