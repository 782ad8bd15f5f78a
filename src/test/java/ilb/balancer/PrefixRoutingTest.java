package ilb.balancer;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;

/** Chat requests that share a system prompt reach the backend that has it cached, through the whole appliance. */
class PrefixRoutingTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    private static String chat(int system, int question) {
        String prompt = ("You are assistant number " + system + " and you answer briefly. ").repeat(30);
        return """
                {"model":"m","max_tokens":2,"messages":[
                  {"role":"system","content":"%s"},
                  {"role":"user","content":"Question %d?"}]}""".formatted(prompt, question);
    }

    /** For each system prompt, the backends that served it. */
    private static Map<Integer, Set<String>> spread(Appliance ilb) {
        Map<Integer, Set<String>> servedBy = new HashMap<>();
        for (int round = 0; round < 4; round++) {
            for (int system = 0; system < 5; system++) {
                HttpResponse<String> response = ilb.post("/v1/chat/completions", chat(system, round));
                assertThat(response.statusCode()).isEqualTo(200);
                servedBy.computeIfAbsent(system, s -> new HashSet<>()).add(servedBy(response));
            }
        }
        return servedBy;
    }

    private Appliance ilb(String policy, List<SimulatedBackend> fleet) {
        return servers.ilb(pool("m", policy, backend("a", fleet.get(0)), backend("b", fleet.get(1)),
                backend("c", fleet.get(2))));
    }

    @Test
    void eachSystemPromptStaysOnOneBackendAndTheyShareTheFleet() {
        List<SimulatedBackend> fleet = List.of(servers.fastBackend(), servers.fastBackend(), servers.fastBackend());
        Map<Integer, Set<String>> spread = spread(ilb("prefix-affinity", fleet));

        assertThat(spread.values()).allMatch(backends -> backends.size() == 1);
        assertThat(spread.values().stream().flatMap(Set::stream).distinct().count()).isGreaterThan(1);
        // 3 of the 4 rounds found the prompt cached
        long hits = fleet.stream().mapToLong(SimulatedBackend::prefixHitTokens).sum();
        assertThat(hits).isPositive();
    }

    @Test
    void aSessionHeaderKeepsAConversationOnOneBackend() {
        List<SimulatedBackend> fleet = List.of(servers.fastBackend(), servers.fastBackend(), servers.fastBackend());
        Appliance ilb = ilb("prefix-affinity", fleet);
        Map<String, Set<String>> servedBy = new HashMap<>();
        for (int turn = 0; turn < 4; turn++) {
            for (int session = 0; session < 6; session++) {
                // a different prompt each turn: only the session header can keep them together
                HttpResponse<String> response = ilb.send(ilb.request("/v1/chat/completions")
                        .header("content-type", "application/json").header("x-session-id", "session-" + session)
                        .POST(HttpRequest.BodyPublishers.ofString(chat(10 * turn + session, turn))).build());
                assertThat(response.statusCode()).isEqualTo(200);
                servedBy.computeIfAbsent("session-" + session, s -> new HashSet<>()).add(servedBy(response));
            }
        }

        assertThat(servedBy.values()).allMatch(backends -> backends.size() == 1);
        assertThat(servedBy.values().stream().flatMap(Set::stream).distinct().count()).isGreaterThan(1);
    }

    @Test
    void theScoredPolicyKeepsPromptsWhereTheyAreCachedToo() {
        List<SimulatedBackend> fleet = List.of(servers.fastBackend(), servers.fastBackend(), servers.fastBackend());

        assertThat(spread(ilb("scored", fleet)).values()).allMatch(backends -> backends.size() == 1);
    }

    @Test
    void roundRobinScattersThem() {
        List<SimulatedBackend> fleet = List.of(servers.fastBackend(), servers.fastBackend(), servers.fastBackend());

        assertThat(spread(ilb("round-robin", fleet)).values()).allMatch(backends -> backends.size() > 1);
    }
}
