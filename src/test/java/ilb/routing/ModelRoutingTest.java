package ilb.routing;

import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.chat;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static ilb.PoolRoute.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Requests go to the route that serves the model they name, by its name or an alias. */
class ModelRoutingTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void eachModelHasItsOwnPoolAndAliasesReachItUnderItsOwnName() {
        SimulatedBackend llama = servers.backend(new SimulatorOptions().models("llama-3.1-8b").ttftMs(1).itlMs(1));
        SimulatedBackend qwen = servers.backend(new SimulatorOptions().models("qwen2.5-7b").ttftMs(1).itlMs(1));
        Appliance ilb = servers.ilb(route("pool-llama", "model:llama-3.1-8b?aliases=llama3,default", "",
                "round-robin", backend("llama-0", llama)) + pool("qwen2.5-7b", "round-robin", backend("qwen-0", qwen)));

        HttpResponse<String> byName = ilb.post("/v1/chat/completions", chat("qwen2.5-7b", 2));
        // the backend knows only "llama-3.1-8b": it answers 404 unless ilb rewrote the alias
        HttpResponse<String> byAlias = ilb.post("/v1/chat/completions", chat("llama3", 2));

        assertThat(byName.statusCode()).isEqualTo(200);
        assertThat(servedBy(byName)).isEqualTo("qwen-0");
        assertThat(byAlias.statusCode()).isEqualTo(200);
        assertThat(servedBy(byAlias)).isEqualTo("llama-0");
        assertThat(byAlias.body()).contains("\"model\":\"llama-3.1-8b\"");
    }

    @Test
    void theModelListShowsWhatIlbServes() {
        SimulatedBackend llama = servers.backend(new SimulatorOptions().models("llama-3.1-8b").ttftMs(1).itlMs(1));
        Appliance ilb = servers.ilb(route("pool-llama", "model:llama-3.1-8b?aliases=llama3", "", "round-robin",
                backend("llama-0", llama)));

        HttpResponse<String> list = ilb.get("/v1/models");
        HttpResponse<String> alias = ilb.get("/v1/models/llama3");
        HttpResponse<String> unknown = ilb.get("/v1/models/gpt-5");

        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains("\"object\":\"list\"").contains("\"id\":\"llama-3.1-8b\"")
                .contains("\"id\":\"llama3\",\"object\":\"model\"");
        assertThat(alias.body()).contains("\"id\":\"llama3\"").contains("\"root\":\"llama-3.1-8b\"");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("\"code\":\"model_not_found\"");
    }

    @Test
    void requestsForAModelWhoseRouteRestartsWaitForIt() throws Exception {
        SimulatedBackend backend = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("a", backend)));
        ilb.context().getRouteController().stopRoute("pool-m");

        CompletableFuture<HttpResponse<String>> waiting = CompletableFuture.supplyAsync(
                () -> ilb.post("/v1/chat/completions", chat("m", 2)));
        await().until(() -> ilb.context().getInflightRepository().size() == 1);
        ilb.context().getRouteController().startRoute("pool-m");

        assertThat(waiting.get().statusCode()).isEqualTo(200);
        assertThat(servedBy(waiting.get())).isEqualTo("a");
    }

    @Test
    void aModelWhoseRouteStaysStoppedIsUnavailableThenUnknown() throws Exception {
        SimulatedBackend backend = servers.fastBackend();
        // a grace far longer than the first request takes to arrive, however slow the machine: it is answered at
        // the grace's end
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("a", backend)),
                "ilb.routes.reloadGraceMillis=5000");
        ilb.context().getRouteController().stopRoute("pool-m");

        HttpResponse<String> duringGrace = ilb.post("/v1/chat/completions", chat("m", 2));
        assertThat(duringGrace.statusCode()).isEqualTo(503);
        assertThat(duringGrace.headers().firstValue("retry-after")).isPresent();
        assertThat(duringGrace.body()).contains("\"code\":\"model_unavailable\"");

        await().until(() -> ilb.post("/v1/chat/completions", chat("m", 2)).statusCode() == 404);
    }
}
