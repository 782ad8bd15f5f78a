package ilb.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ilb.admission.Quota;
import ilb.admission.Tenant;
import ilb.inference.Api;
import ilb.inference.ApiError;
import ilb.inference.InferenceRequest;
import ilb.inference.Protocol;
import ilb.inference.Priority;
import ilb.inference.PromptPrefix;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which version serves a request: pins, stages, sticky canary weights, shadow draws. No servers. */
class VersionChoiceTest {

    private static final Tenant PRODUCTION = tenant("prod", Tenant.PRODUCTION);
    private static final Tenant BOTH = tenant("both", Tenant.PRODUCTION, Tenant.EXPERIMENTAL);
    private static final Tenant EXPERIMENTS = tenant("lab", Tenant.EXPERIMENTAL);
    private static final int USERS = 10_000;

    @Test
    void withoutWeightsTheNewestServesAndAShadowVersionNeverDoes() {
        List<VersionSettings> versions = List.of(version("2", null), version("10", null),
                shadow("11", 0.5, Tenant.PRODUCTION));

        assertThat(serve(versions, PRODUCTION, null, 7)).isEqualTo("10");
        // a route for any version comes first
        assertThat(serve(List.of(version("", null), version("3", null)), PRODUCTION, null, 7)).isEmpty();
    }

    @Test
    void aPinnedVersionServesIfItsStageIsReached() {
        List<VersionSettings> versions = List.of(version("v1", 95), experimental("v2", 5),
                shadow("v3", 0.1, Tenant.EXPERIMENTAL));

        assertThat(serve(versions, BOTH, "v2", 1)).isEqualTo("v2");
        // pinned, a shadow version serves as any other
        assertThat(serve(versions, BOTH, "v3", 1)).isEqualTo("v3");
        ApiError refused = refuse(versions, PRODUCTION, "v2");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.code()).isEqualTo("model_stage_not_allowed");
        assertThat(refused.message()).isEqualTo("Version `v2` of the model `m` is experimental; your API key reaches"
                + " production.");
        ApiError unknown = refuse(versions, BOTH, "v9");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.code()).isEqualTo("model_version_not_found");
        // a route for any version serves the versions no route names
        assertThat(serve(List.of(version("", null), version("1", null)), PRODUCTION, "9", 1)).isEmpty();
    }

    @Test
    void aTenantReachesOnlyTheVersionsOfItsStages() {
        List<VersionSettings> versions = List.of(version("v1", 95), experimental("v2", 5));

        for (int user = 0; user < USERS; user++) {
            assertThat(serve(versions, PRODUCTION, null, key(user))).isEqualTo("v1");
            assertThat(serve(versions, EXPERIMENTS, null, key(user))).isEqualTo("v2");
        }
        ApiError none = refuse(List.of(experimental("v2", 5)), PRODUCTION, null);
        assertThat(none.status()).isEqualTo(403);
        assertThat(none.code()).isEqualTo("model_stage_not_allowed");
        assertThat(none.message()).isEqualTo("No version of the model `m` is in a stage your API key reaches"
                + " (production).");
        // it reaches a shadow version only: nothing serves it unpinned
        ApiError shadowOnly = refuse(List.of(experimental("v2", 5), shadow("v3", 1, Tenant.PRODUCTION)), PRODUCTION,
                null);
        assertThat(shadowOnly.status()).isEqualTo(503);
        assertThat(shadowOnly.code()).isEqualTo("model_unavailable");
    }

    @Test
    void canaryWeightsSplitUsersByTheirShareAndEachUserStays() {
        List<VersionSettings> versions = List.of(version("v1", 95), experimental("v2", 5));

        Map<String, Integer> counts = new HashMap<>();
        for (int user = 0; user < USERS; user++) {
            String first = serve(versions, BOTH, null, key(user));
            // the same user, the same version, every time
            assertThat(serve(versions, BOTH, null, key(user))).isEqualTo(first);
            counts.merge(first, 1, Integer::sum);
        }
        assertWithinBinomial(counts.get("v2"), USERS, 0.05);
        assertThat(counts.get("v1") + counts.get("v2")).isEqualTo(USERS);
    }

    @Test
    void aWeightChangeMovesOnlyTheUsersThatMust() {
        List<VersionSettings> before = List.of(version("v1", 95), experimental("v2", 5), version("v3", 0));
        List<VersionSettings> after = List.of(version("v1", 90), experimental("v2", 10), version("v3", 0));

        int moved = 0;
        for (int user = 0; user < USERS; user++) {
            String was = serve(before, BOTH, null, key(user));
            String is = serve(after, BOTH, null, key(user));
            if (!was.equals(is)) {
                // only from the version that lost weight to the one that gained it
                assertThat(was + "->" + is).isEqualTo("v1->v2");
                moved++;
            }
        }
        assertWithinBinomial(moved, USERS, 0.05);
    }

    @Test
    void aVersionThatIsGoneHandsOnlyItsOwnUsersToTheOthers() {
        List<VersionSettings> three = List.of(version("a", 50), version("b", 30), version("c", 20));
        List<VersionSettings> withoutB = List.of(version("a", 50), version("c", 20));

        List<String> fromB = new ArrayList<>();
        for (int user = 0; user < USERS; user++) {
            String was = serve(three, PRODUCTION, null, key(user));
            String is = serve(withoutB, PRODUCTION, null, key(user));
            if (was.equals("b")) {
                fromB.add(is);
            } else {
                assertThat(is).isEqualTo(was);
            }
        }
        // b's users go to a and c by their weights, 50:20
        long toA = fromB.stream().filter("a"::equals).count();
        assertWithinBinomial((int) toA, fromB.size(), 50.0 / 70);
    }

    @Test
    void aWeightOfZeroServesPinnedRequestsOnlyAndNeverBecomesTheDefault() {
        // the canary set to 0 by an operator: its unweighted primary takes everything, not the newer canary
        assertThat(serve(List.of(version("1", null), version("2", 0)), PRODUCTION, null, 5)).isEqualTo("1");
        assertThat(serve(List.of(version("1", null), version("2", 0)), PRODUCTION, "2", 5)).isEqualTo("2");

        List<VersionSettings> versions = List.of(version("1", 0), version("2", 0), experimental("3", 10));
        assertThat(serve(versions, BOTH, null, 5)).isEqualTo("3");
        ApiError pinnedOnly = refuse(versions, PRODUCTION, null);
        assertThat(pinnedOnly.status()).isEqualTo(503);
        assertThat(pinnedOnly.message()).contains("weight 0");
        assertThat(serve(versions, PRODUCTION, "1", 5)).isEqualTo("1");
    }

    @Test
    void shadowVersionsGetACopyByTheirShareButNeverOfTheirOwnRequests() {
        List<VersionSettings> versions = List.of(version("v1", null), shadow("v2", 0.25, Tenant.EXPERIMENTAL),
                shadow("v3", 1, Tenant.EXPERIMENTAL));
        double[] draws = {0.2, 0.3, 0.999};
        int[] next = {0};

        assertThat(VersionChoice.shadows(versions, "v1", BOTH, () -> draws[next[0]++])).containsExactly("v2", "v3");
        next[0] = 1;
        assertThat(VersionChoice.shadows(versions, "v1", BOTH, () -> draws[next[0]++])).containsExactly("v3");
        assertThat(VersionChoice.shadows(versions, "v3", BOTH, () -> 0)).containsExactly("v2");
        // a tenant's prompts go to no stage it does not reach, not even as copies
        assertThat(VersionChoice.shadows(versions, "v1", PRODUCTION, () -> 0)).isEmpty();
        assertThat(VersionChoice.shadows(List.of(version("v1", null)), "v1", BOTH, () -> 0)).isEmpty();
    }

    @Test
    void theStickyKeyIsTheUserElseTheSessionElseTheKeyElseTheTenant() {
        long alice = VersionChoice.stickyKey(request("alice", "s1"), BOTH, "key-1");

        assertThat(VersionChoice.stickyKey(request("alice", "s2"), PRODUCTION, "key-2")).isEqualTo(alice);
        assertThat(VersionChoice.stickyKey(request(null, "s1"), BOTH, "key-1"))
                .isEqualTo(VersionChoice.stickyKey(request(null, "s1"), PRODUCTION, "key-2")).isNotEqualTo(alice);
        // two keys of one tenant: two callers, kept apart
        assertThat(VersionChoice.stickyKey(request(null, null), BOTH, "key-1"))
                .isEqualTo(VersionChoice.stickyKey(request(null, null), PRODUCTION, "key-1"))
                .isNotEqualTo(VersionChoice.stickyKey(request(null, null), BOTH, "key-2"));
        // no key (a job on its tenant's own topic): the tenant
        assertThat(VersionChoice.stickyKey(request(null, null), BOTH, null))
                .isNotEqualTo(VersionChoice.stickyKey(request(null, null), PRODUCTION, null));
        // the same on every run and replica
        assertThat(VersionChoice.hash("alice")).isEqualTo(VersionChoice.hash(new String("alice")));
    }

    @Test
    void versionsAreOrderedNumbersFirst() {
        List<String> sorted = new ArrayList<>(List.of("b", "10", "a", "9", "1a", "2"));
        sorted.sort(VersionChoice.VERSION_ORDER);

        assertThat(sorted).containsExactly("2", "9", "10", "1a", "a", "b");
    }

    @Test
    void settingsThatContradictThemselvesAreRefusedByName() {
        assertThatThrownBy(() -> new VersionSettings("v1", "staging", null, 0))
                .hasMessage("stage must be production or experimental, not 'staging'");
        assertThatThrownBy(() -> new VersionSettings("v1", "production", -1, 0))
                .hasMessage("weight must be 0 or more, not -1");
        assertThatThrownBy(() -> new VersionSettings("v1", "production", null, 1.5))
                .hasMessage("shadow must be a share from 0 to 1, not 1.5");
        assertThatThrownBy(() -> new VersionSettings("", "production", 5, 0))
                .hasMessageStartingWith("weight and shadow need a version");
        assertThatThrownBy(() -> new VersionSettings("v1", "production", 5, 0.1))
                .hasMessageContaining("both a weight (5) and a shadow share (0.1)");
    }

    /**
     * A count of successes of {@code n} draws of probability {@code p} lies within 5 standard deviations of its mean,
     * unless something is wrong: by chance, less than once in a million.
     */
    static void assertWithinBinomial(int count, int n, double p) {
        double mean = n * p;
        double bound = 5 * Math.sqrt(n * p * (1 - p));
        assertThat((double) count).as("%d of %d at p=%s", count, n, p).isBetween(mean - bound, mean + bound);
    }

    private static String serve(List<VersionSettings> versions, Tenant tenant, String pinned, long key) {
        VersionChoice.Choice choice = VersionChoice.choose("m", versions, tenant, pinned, key);
        assertThat(choice).isInstanceOf(VersionChoice.Serve.class);
        return ((VersionChoice.Serve) choice).version();
    }

    private static ApiError refuse(List<VersionSettings> versions, Tenant tenant, String pinned) {
        VersionChoice.Choice choice = VersionChoice.choose("m", versions, tenant, pinned, 1);
        assertThat(choice).isInstanceOf(VersionChoice.Refuse.class);
        return ((VersionChoice.Refuse) choice).error();
    }

    private static long key(int user) {
        return VersionChoice.hash("user-" + user);
    }

    private static VersionSettings version(String version, Integer weight) {
        return new VersionSettings(version, Tenant.PRODUCTION, weight, 0);
    }

    private static VersionSettings experimental(String version, Integer weight) {
        return new VersionSettings(version, Tenant.EXPERIMENTAL, weight, 0);
    }

    private static VersionSettings shadow(String version, double share, String stage) {
        return new VersionSettings(version, stage, null, share);
    }

    private static Tenant tenant(String name, String... stages) {
        return new Tenant(name, Set.of("*"), Priority.STANDARD, Priority.STANDARD, 1, Quota.NONE, Set.of(stages), null,
                null, false);
    }

    private static InferenceRequest request(String user, String session) {
        return new InferenceRequest(Api.OPENAI, Protocol.HTTP, "POST", "/v1/chat/completions", Map.of(), new byte[0], "m", null, false,
                PromptPrefix.NONE, 0, session, user, null, Priority.STANDARD);
    }
}
