package ilb.balancer;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

import ilb.backend.Backend;
import ilb.backend.BackendSettings;
import ilb.backend.BackendTelemetry;
import ilb.backend.OutlierEjection;
import ilb.inference.Api;
import ilb.inference.InferenceRequest;
import ilb.inference.Priority;
import ilb.inference.Protocol;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The choice of a backend, rule by rule, from states written out: no server, no clock. Each backend's policy here
 * takes the first candidate it is offered, and records what it was offered.
 */
class SelectorTest {

    private static final long MS = 1_000_000;
    private static final InferenceRequest OPENAI = request(Api.OPENAI, Protocol.HTTP, Priority.STANDARD);
    private static final InferenceRequest KSERVE_GRPC = request(Api.KSERVE, Protocol.GRPC, Priority.STANDARD);
    private static final InferenceRequest BATCH = OPENAI.withPriority(Priority.BATCH);
    /** A forecast time to first token of 100 ms, and of 900 ms: on and off a 300 ms target. */
    private static final BackendTelemetry FAST = telemetry(0.1);
    private static final BackendTelemetry SLOW = telemetry(0.9);
    private static final SloTargets TTFT_300MS = new SloTargets(300, 0);

    private final List<List<Backend>> offered = new ArrayList<>();
    private final IntFunction<SelectionPolicy> firstOffered = tier -> (candidates, request) -> {
        offered.add(List.copyOf(candidates));
        return candidates.get(0);
    };

    private static InferenceRequest request(Api api, Protocol protocol, Priority priority) {
        return new InferenceRequest(api, protocol, "POST", "/v1/chat/completions", Map.of(), new byte[0], "m", null,
                false, null, 0, null, null, null, priority);
    }

    private static BackendTelemetry telemetry(double ttftSeconds) {
        return new BackendTelemetry(0, 0, 1, 0.1, ttftSeconds, 0.01, 1);
    }

    private static Backend backend(String id) {
        return backend(id, Protocol.HTTP, "http://127.0.0.1:1");
    }

    private static Backend backend(String id, Protocol protocol, String url) {
        return new Backend(new BackendSettings(id, URI.create(url), protocol, 0, 1, 4, "", "", "", "", 1000, 1000,
                1000, 1000, 200, null, null), CircuitBreakerConfig.ofDefaults(), new OutlierEjection(0, 0, 0), 64);
    }

    /** An idle backend in no zone that can take 4 requests and publishes no metrics. */
    private static BackendState idle(Backend backend) {
        return new BackendState(backend, "", false, false, false, false, 0, 0, 4, BackendTelemetry.NONE);
    }

    private static BackendState inZone(Backend backend, String zone) {
        return new BackendState(backend, zone, false, false, false, false, 0, 0, 4, BackendTelemetry.NONE);
    }

    private static BackendState drained(Backend backend) {
        return new BackendState(backend, "", true, false, false, false, 0, 0, 4, BackendTelemetry.NONE);
    }

    private static BackendState down(Backend backend) {
        return new BackendState(backend, "", false, true, false, false, 0, 0, 4, BackendTelemetry.NONE);
    }

    private static BackendState ejected(Backend backend) {
        return new BackendState(backend, "", false, false, true, false, 0, 0, 4, BackendTelemetry.NONE);
    }

    private static BackendState breakerOpen(Backend backend) {
        return new BackendState(backend, "", false, false, false, true, 0, 0, 4, BackendTelemetry.NONE);
    }

    private static BackendState cooling(Backend backend, long millis) {
        return new BackendState(backend, "", false, false, false, false, millis * MS, 0, 4, BackendTelemetry.NONE);
    }

    private static BackendState withInFlight(Backend backend, int inFlight) {
        return new BackendState(backend, "", false, false, false, false, 0, inFlight, 4, BackendTelemetry.NONE);
    }

    private static BackendState full(Backend backend) {
        return withInFlight(backend, 4);
    }

    private static BackendState reporting(Backend backend, BackendTelemetry telemetry, int inFlight) {
        return new BackendState(backend, "", false, false, false, false, 0, inFlight, 4, telemetry);
    }

    @SafeVarargs
    private static PoolSnapshot pool(int queued, List<BackendState>... tiers) {
        return new PoolSnapshot(List.of(tiers), queued);
    }

    private static PoolSnapshot pool(BackendState... oneTier) {
        return pool(0, List.of(oneTier));
    }

    private static Selector selector() {
        return selector(SloTargets.NONE, "");
    }

    private static Selector selector(SloTargets slo, String zone) {
        return new Selector(slo, new SpareCapacity(0.25), zone, 10);
    }

    private static Selector.Ask ask(InferenceRequest request) {
        return new Selector.Ask(request, false, false);
    }

    private Selector.Choice decide(Selector selector, PoolSnapshot pool, Selector.Ask ask) {
        return selector.decide(pool, ask, Set.of(), firstOffered);
    }

    private Selector.Choice decide(PoolSnapshot pool) {
        return decide(selector(), pool, ask(OPENAI));
    }

    // ---- availability

    @Test
    void everyBackendThatCannotTakeARequestIsPassedOver() {
        Backend a = backend("a");
        Selector.Choice choice = decide(pool(drained(backend("d")), down(backend("x")), ejected(backend("e")),
                breakerOpen(backend("o")), cooling(backend("c"), 500), full(backend("f")), idle(a)));

        assertThat(choice.backend()).isSameAs(a);
        assertThat(offered).containsExactly(List.of(a));
    }

    @Test
    void noneAvailableSaysWhatEachWasMostLastingLast() {
        Selector.Choice choice = decide(pool(drained(backend("d")), down(backend("x")), breakerOpen(backend("o")),
                cooling(backend("c"), 2500), cooling(backend("c2"), 800), drained(backend("d2"))));

        assertThat(choice).isEqualTo(new Selector.Choice(null, false, 800, "2 cooling, 1 breaker open, 1 down, 2 drained",
                false));
        assertThat(offered).isEmpty();
    }

    @Test
    void aFullBackendMakesTheRequestWaitRatherThanFail() {
        Selector.Choice choice = decide(pool(full(backend("f")), down(backend("x"))));

        assertThat(choice.backend()).isNull();
        assertThat(choice.busy()).isTrue();
        assertThat(choice.reason()).isEqualTo("1 full, 1 down");
    }

    @Test
    void aBackendBelowItsLimitIsAvailableAtItsLimitFull() {
        Backend b = backend("b");
        assertThat(decide(pool(withInFlight(b, 3))).backend()).isSameAs(b);
        assertThat(decide(pool(withInFlight(b, 4))).busy()).isTrue();
    }

    @Test
    void aBackendThatRefusedALeaseCountsAsFull() {
        Backend a = backend("a");
        Backend b = backend("b");
        PoolSnapshot pool = pool(idle(a), idle(b));

        assertThat(decide(pool.withFull(a)).backend()).isSameAs(b);
        Selector.Choice none = decide(pool.withFull(a).withFull(b));
        assertThat(none.backend()).isNull();
        assertThat(none.busy()).isTrue();
        assertThat(none.reason()).isEqualTo("2 full");
    }

    // ---- tried backends and wires

    @Test
    void aBackendTheRequestWasSentToIsNotAskedAgainNorCounted() {
        Backend a = backend("a");
        Backend b = backend("b");

        Selector.Choice choice = selector().decide(pool(idle(a), idle(b)), ask(OPENAI), Set.of(a), firstOffered);
        assertThat(choice.backend()).isSameAs(b);

        Selector.Choice none = selector().decide(pool(idle(a), full(b)), ask(OPENAI), Set.of(a, b), firstOffered);
        assertThat(none).isEqualTo(new Selector.Choice(null, false, 0, "no backend left to try", false));
    }

    @Test
    void aBackendOverGrpcServesKServeButNotOpenAi() {
        Backend grpc = backend("g", Protocol.GRPC, "grpc://127.0.0.1:1");
        Backend http = backend("h");

        assertThat(decide(pool(idle(grpc), idle(http))).backend()).isSameAs(http);
        assertThat(decide(selector(), pool(idle(grpc), idle(http)), ask(KSERVE_GRPC)).backend()).isSameAs(grpc);

        Selector.Choice none = decide(pool(idle(grpc), down(http)));
        assertThat(none).isEqualTo(new Selector.Choice(null, false, 0, "1 down, 1 speaking KServe v2 over gRPC only",
                false));
    }

    // ---- zones

    @Test
    void theBackendsOfIlbsZoneAreOfferedFirst() {
        Backend near = backend("near");
        Backend far = backend("far");

        Selector.Choice choice = decide(selector(SloTargets.NONE, "z1"), pool(inZone(far, "z2"), inZone(near, "z1")),
                ask(OPENAI));

        assertThat(choice.backend()).isSameAs(near);
        assertThat(offered).containsExactly(List.of(near));
    }

    @Test
    void withNoneInItsZoneAbleToTakeItTheRequestGoesToAnotherZone() {
        Backend near = backend("near");
        Backend far = backend("far");
        PoolSnapshot nearFull = pool(inZone(far, "z2"), inZone(near, "z1").full());

        assertThat(decide(selector(SloTargets.NONE, "z1"), nearFull, ask(OPENAI)).backend()).isSameAs(far);
    }

    @Test
    void withoutAZoneOfItsOwnIlbOffersEveryZone() {
        Backend a = backend("a");
        Backend b = backend("b");

        decide(selector(), pool(inZone(a, "z1"), inZone(b, "z2")), ask(OPENAI));

        assertThat(offered).containsExactly(List.of(a, b));
    }

    // ---- tiers

    @Test
    void theLowestTierWithABackendAbleToTakeTheRequestServesIt() {
        Backend first = backend("first");
        Backend second = backend("second");
        Backend third = backend("third");

        assertThat(decide(pool(0, List.of(idle(first)), List.of(idle(second)))).backend()).isSameAs(first);
        assertThat(decide(pool(0, List.of(full(first)), List.of(down(second)), List.of(idle(third)))).backend())
                .isSameAs(third);
    }

    @Test
    void eachTiersPolicyChoosesAmongThatTiersBackendsOnly() {
        Backend a = backend("a");
        Backend b = backend("b");
        Backend c = backend("c");
        List<Integer> asked = new ArrayList<>();
        IntFunction<SelectionPolicy> lastOfTier = tier -> (candidates, request) -> {
            asked.add(tier);
            offered.add(List.copyOf(candidates));
            return candidates.get(candidates.size() - 1);
        };

        Selector.Choice choice = selector().decide(pool(0, List.of(full(a)), List.of(idle(b), idle(c))), ask(OPENAI),
                Set.of(), lastOfTier);

        assertThat(choice.backend()).isSameAs(c);
        assertThat(asked).containsExactly(1);
        assertThat(offered).containsExactly(List.of(b, c));
    }

    // ---- latency targets

    @Test
    void withTargetsABackendForecastToBreakThemIsPassedOver() {
        Backend slow = backend("slow");
        Backend fast = backend("fast");

        Selector.Choice choice = decide(selector(TTFT_300MS, ""), pool(reporting(slow, SLOW, 0),
                reporting(fast, FAST, 0)), ask(OPENAI));

        assertThat(choice.backend()).isSameAs(fast);
        assertThat(offered).containsExactly(List.of(fast));
    }

    @Test
    void aTierWithNoBackendOnTargetPassesTheRequestOn() {
        Backend slow = backend("slow");
        Backend fast = backend("fast");

        Selector.Choice choice = decide(selector(TTFT_300MS, ""),
                pool(0, List.of(reporting(slow, SLOW, 0)), List.of(reporting(fast, FAST, 0))), ask(OPENAI));

        assertThat(choice.backend()).isSameAs(fast);
    }

    @Test
    void withNoBackendOnTargetAnywhereTheFirstTiersChoiceServes() {
        Backend slow = backend("slow");
        Backend slower = backend("slower");

        Selector.Choice choice = decide(selector(TTFT_300MS, ""),
                pool(0, List.of(reporting(slow, SLOW, 0)), List.of(reporting(slower, SLOW, 0))), ask(OPENAI));

        assertThat(choice.backend()).isSameAs(slow);
    }

    @Test
    void aBackendWithoutAForecastIsTakenToMeetTheTargets() {
        Backend slow = backend("slow");
        Backend unknown = backend("unknown");

        Selector.Choice choice = decide(selector(TTFT_300MS, ""), pool(reporting(slow, SLOW, 0), idle(unknown)),
                ask(OPENAI));

        assertThat(choice.backend()).isSameAs(unknown);
    }

    @Test
    void aRequestThatMayHoldWaitsForAFullBackendOnTargetRatherThanTakeOneOff() {
        Backend slow = backend("slow");
        Backend fast = backend("fast");
        PoolSnapshot pool = pool(reporting(slow, SLOW, 0), reporting(fast, FAST, 4));

        Selector.Choice held = decide(selector(TTFT_300MS, ""), pool, new Selector.Ask(OPENAI, false, true));

        assertThat(held.backend()).isNull();
        assertThat(held.busy()).isTrue();
        assertThat(held.reason()).isEqualTo("1 full");
    }

    @Test
    void oneThatMayHoldNoLongerTakesTheBackendOffTarget() {
        Backend slow = backend("slow");
        Backend fast = backend("fast");
        PoolSnapshot pool = pool(reporting(slow, SLOW, 0), reporting(fast, FAST, 4));

        assertThat(decide(selector(TTFT_300MS, ""), pool, new Selector.Ask(OPENAI, false, false)).backend())
                .isSameAs(slow);
    }

    @Test
    void noRequestHoldsWhenTheQueueHasNoRoomToWaitIn() {
        Backend slow = backend("slow");
        Backend fast = backend("fast");
        PoolSnapshot queueFull = pool(10, List.of(reporting(slow, SLOW, 0), reporting(fast, FAST, 4)));

        assertThat(decide(selector(TTFT_300MS, ""), queueFull, new Selector.Ask(OPENAI, false, true)).backend())
                .isSameAs(slow);
    }

    @Test
    void aFullBackendOffTargetIsNothingToHoldFor() {
        Backend slow = backend("slow");
        Backend slowAndFull = backend("slow and full");
        PoolSnapshot pool = pool(reporting(slow, SLOW, 0), reporting(slowAndFull, SLOW, 4));

        assertThat(decide(selector(TTFT_300MS, ""), pool, new Selector.Ask(OPENAI, false, true)).backend())
                .isSameAs(slow);
    }

    // ---- panic mode

    @Test
    void withNothingButEjectedBackendsLeftAnEjectedOneServes() {
        Backend ejected = backend("ejected");

        Selector.Choice choice = decide(pool(ejected(ejected), down(backend("down"))));

        assertThat(choice.backend()).isSameAs(ejected);
    }

    @Test
    void noPanicWhileAnotherBackendIsMerelyFullOrStillAvailable() {
        Backend ejected = backend("ejected");
        Backend full = backend("full");
        Backend up = backend("up");

        Selector.Choice waits = decide(pool(ejected(ejected), full(full)));
        assertThat(waits).isEqualTo(new Selector.Choice(null, true, 0, "1 full, 1 ejected", true));

        assertThat(decide(pool(ejected(ejected), idle(up))).backend()).isSameAs(up);
    }

    @Test
    void inPanicModeAnEjectedBackendMustStillBeAbleToTakeTheRequest() {
        Selector.Choice none = decide(pool(new BackendState(backend("e"), "", false, false, true, false, 0, 4, 4,
                BackendTelemetry.NONE)));

        assertThat(none.backend()).isNull();
        assertThat(none.busy()).isTrue();
        assertThat(none.reason()).isEqualTo("1 full");
    }

    // ---- batch jobs and shadow copies

    @Test
    void aBatchJobTakesOnlyWhatTheReserveLeavesFree() {
        Backend b = backend("b");

        // 3 of 4 is the batch limit at a reserve of a quarter
        assertThat(decide(selector(), pool(withInFlight(b, 2)), ask(BATCH)).backend()).isSameAs(b);
        Selector.Choice none = decide(selector(), pool(withInFlight(b, 3)), ask(BATCH));
        assertThat(none.backend()).isNull();
        assertThat(none.busy()).isTrue();
        // an interactive request still takes it
        assertThat(decide(selector(), pool(withInFlight(b, 3)), ask(OPENAI)).backend()).isSameAs(b);
    }

    @Test
    void aBatchJobNeverTakesABackendOffTarget() {
        Backend slow = backend("slow");

        Selector.Choice none = decide(selector(TTFT_300MS, ""), pool(reporting(slow, SLOW, 0)), ask(BATCH));

        assertThat(none.backend()).isNull();
        assertThat(none.busy()).isTrue();
    }

    @Test
    void neitherABatchJobNorAShadowCopyGoesAnywhereWhileRequestsWait() {
        Backend b = backend("b");
        PoolSnapshot othersWaiting = pool(1, List.of(idle(b)));
        Selector.Choice waiting = new Selector.Choice(null, true, 0, Selector.OTHERS_WAITING, false);

        assertThat(decide(selector(), othersWaiting, ask(BATCH))).isEqualTo(waiting);
        assertThat(decide(selector(), othersWaiting, new Selector.Ask(OPENAI, true, false))).isEqualTo(waiting);
        assertThat(decide(selector(), othersWaiting, ask(OPENAI)).backend()).isSameAs(b);
        assertThat(decide(selector(), pool(idle(b)), new Selector.Ask(OPENAI, true, false)).backend()).isSameAs(b);
        assertThat(offered).hasSize(2);
    }
}
