package ilb.policies;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import ilb.backend.Backend;
import ilb.inference.InferenceRequest;
import org.junit.jupiter.api.Test;

import static ilb.backend.Backends.backend;
import static ilb.backend.Backends.occupy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PrefixAffinityTest {

    private final Backend a = backend("a", 1, 100);
    private final Backend b = backend("b", 1, 100);
    private final Backend c = backend("c", 1, 100);
    private final List<Backend> fleet = List.of(a, b, c);

    private static String system(int n) {
        return ("System prompt number " + n + ". ").repeat(50);
    }

    private static InferenceRequest ask(int system, String question) {
        return Requests.prompt(system(system) + question);
    }

    @Test
    void aPromptGoesBackWhereItsPrefixWasSent() {
        PrefixAffinity policy = new PrefixAffinity(1.25);
        Backend first = Requests.send(policy, fleet, ask(1, "What is 2+2?"));

        for (int i = 0; i < 10; i++) {
            assertThat(Requests.send(policy, fleet, ask(1, "Question " + i))).isSameAs(first);
        }
    }

    @Test
    void newPrefixesSpreadOverThePool() {
        PrefixAffinity policy = new PrefixAffinity(1.25);

        assertThat(IntStream.range(0, 30).mapToObj(i -> Requests.send(policy, fleet, ask(i, "?")))).contains(a, b, c);
    }

    @Test
    void newPrefixesAvoidBackendsOverTheBound() {
        PrefixAffinity policy = new PrefixAffinity(1.0);
        occupy(a, 2);
        occupy(c, 2);
        // 5 with the new one: at most 2 each, a and c would have 3

        assertThat(IntStream.range(0, 30).mapToObj(i -> Requests.send(policy, fleet, ask(i, "?")))).containsOnly(b);
    }

    @Test
    void promptsTooShortForABlockGoToTheLeastLoaded() {
        PrefixAffinity policy = new PrefixAffinity(1.25);
        occupy(a, 2);
        occupy(c, 1);

        assertThat(Requests.send(policy, fleet, Requests.prompt("hi"))).isSameAs(b);
    }

    @Test
    void theLongestMatchWins() {
        PrefixAffinity policy = new PrefixAffinity(1.25);
        String conversation = system(1) + "user: first question. assistant: a long answer. ".repeat(20);
        Backend shortOwner = Requests.send(policy, List.of(a), ask(1, ""));
        Backend longOwner = Requests.send(policy, List.of(b), Requests.prompt(conversation));
        assertThat(shortOwner).isSameAs(a);
        assertThat(longOwner).isSameAs(b);

        assertThat(Requests.send(policy, fleet, Requests.prompt(conversation + "user: next question"))).isSameAs(b);
    }

    @Test
    void aBackendPastTheLoadBoundGivesNewRequestsToTheLeastLoaded() {
        PrefixAffinity policy = new PrefixAffinity(1.25);
        Backend owner = Requests.send(policy, fleet, ask(1, "?"));
        // 6 in flight across the pool, all at the owner: its bound is ceil(1.25 * 7 / 3) = 3
        occupy(owner, 6);

        Backend chosen = Requests.send(policy, fleet, ask(1, "again?"));

        assertThat(chosen).isNotSameAs(owner);
        // the prefix now lives on both: when the owner is busy the new holder is the match
        occupy(chosen, 3);
        occupy(fleet.stream().filter(x -> x != owner && x != chosen).findFirst().orElseThrow(), 2);
        assertThat(Requests.send(policy, fleet, ask(1, "and again?"))).isSameAs(chosen);
    }

    @Test
    void aSessionStaysOnItsBackendAndSessionsSpread() {
        PrefixAffinity policy = new PrefixAffinity(2);
        Map<String, Backend> firstChoice = new HashMap<>();
        IntStream.range(0, 60).forEach(i -> firstChoice.put("s" + i,
                Requests.send(policy, fleet, Requests.inSession("hello " + i, "s" + i))));

        for (int round = 0; round < 3; round++) {
            firstChoice.forEach((session, backend) -> assertThat(Requests.send(policy, fleet,
                    Requests.inSession("other text", session))).isSameAs(backend));
        }
        assertThat(firstChoice.values()).contains(a, b, c);
    }

    @Test
    void aLoadBoundBelowOneIsRefused() {
        assertThatThrownBy(() -> new PrefixAffinity(0.5))
                .hasMessageContaining("loadBound must be at least 1");
    }
}
