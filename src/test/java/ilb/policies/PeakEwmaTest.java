package ilb.policies;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import ilb.backend.Backend;
import org.junit.jupiter.api.Test;

import static ilb.backend.Backends.backend;
import static org.assertj.core.api.Assertions.assertThat;

class PeakEwmaTest {

    private static void measured(Backend backend, long millis) {
        backend.latency().observe(TimeUnit.MILLISECONDS.toNanos(millis), System.nanoTime());
    }

    @Test
    void prefersTheFasterBackend() {
        Backend fast = backend("fast", 1, 16);
        Backend slow = backend("slow", 1, 16);
        measured(fast, 20);
        measured(slow, 200);
        PeakEwma policy = new PeakEwma(new Random(5));
        for (int i = 0; i < 20; i++) {
            assertThat(policy.choose(List.of(slow, fast), Requests.ANY).id()).isEqualTo("fast");
        }
    }

    @Test
    void weighsLatencyByRequestsInFlight() {
        Backend fastButBusy = backend("fastButBusy", 1, 16);
        Backend slowerIdle = backend("slowerIdle", 1, 16);
        measured(fastButBusy, 20);
        measured(slowerIdle, 50);
        for (int i = 0; i < 4; i++) {
            fastButBusy.tryAcquire();
        }
        // busy: 20 ms x (4 + 1) = 100; idle: 50 ms x 1 = 50
        assertThat(new PeakEwma(new Random(2)).choose(List.of(fastButBusy, slowerIdle), Requests.ANY).id()).isEqualTo("slowerIdle");
    }

    @Test
    void anUnmeasuredBackendIsTriedWhenIdleAndAssumedSlowWhenBusy() {
        Backend unknown = backend("unknown", 1, 16);
        Backend known = backend("known", 1, 16);
        measured(known, 100);
        assertThat(PeakEwma.load(unknown, System.nanoTime())).isZero();
        unknown.tryAcquire();
        assertThat(PeakEwma.load(unknown, System.nanoTime())).isGreaterThan(PeakEwma.load(known, System.nanoTime()));
    }
}
