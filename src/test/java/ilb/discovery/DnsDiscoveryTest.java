package ilb.discovery;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import ilb.Appliance;
import ilb.DnsServer;
import ilb.PoolRoute;
import ilb.TestCertificates;
import ilb.backend.Backend;
import ilb.backend.BackendComponent;
import ilb.balancer.InferenceLoadBalancer;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A pool whose backend entry names a service ({@code dns://}, {@code srv://}) looked up on a real DNS server (dnsmasq
 * on loopback), whose records the tests change while ilb serves: simulated servers on 127.0.0.x, all on one port, as
 * the pods behind a Kubernetes headless Service.
 */
class DnsDiscoveryTest {

    private static final String NAME = "sim.ilb.test";
    private static final String MODEL = "sim-model";

    private final int port = Appliance.freePort();
    private final List<SimulatedBackend> servers = new ArrayList<>();
    private DnsServer dns;
    private Appliance ilb;

    @BeforeEach
    void startDns() {
        dns = DnsServer.start(0);
    }

    @AfterEach
    void stopAll() throws Exception {
        if (ilb != null) {
            ilb.close();
        }
        servers.forEach(SimulatedBackend::close);
        dns.close();
    }

    @Test
    void serversAddedAndRemovedUnderLoadServeEveryRequest() throws Exception {
        SimulatedBackend first = server("127.0.0.2");
        SimulatedBackend second = server("127.0.0.3");
        dns.addresses(NAME, "127.0.0.2", "127.0.0.3");
        startIlb("dns://" + NAME + ":" + port);
        try (Load load = new Load(ilb, 4)) {
            await().until(() -> load.servedBy(id("127.0.0.2")) > 0 && load.servedBy(id("127.0.0.3")) > 0);

            server("127.0.0.4");
            server("127.0.0.5");
            dns.addresses(NAME, "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5");
            await().until(() -> load.servedBy(id("127.0.0.4")) > 0 && load.servedBy(id("127.0.0.5")) > 0);

            dns.addresses(NAME, "127.0.0.4", "127.0.0.5");
            await().until(() -> !known(id("127.0.0.2")) && !known(id("127.0.0.3")));
            // gone from ilb: their pods may stop now
            stop(first);
            stop(second);
            long servedThen = load.ok();
            await().until(() -> load.ok() > servedThen + 40);
            load.stop();

            assertThat(load.failures()).isEmpty();
            assertThat(load.ok()).isEqualTo(load.sent());
            assertThat(ilb.balancer("pool-" + MODEL).backends()).extracting(Backend::id)
                    .containsExactlyInAnyOrder(id("127.0.0.4"), id("127.0.0.5"));
        }
    }

    @Test
    void aServerThatLeavesTheAnswerFinishesItsStreamAndIsThenRemoved() throws Exception {
        servers.add(SimulatedBackend.start(SimulatorOptions.parse("--host", "127.0.0.2", "--port",
                Integer.toString(port)).itlMs(40)));
        server("127.0.0.3");
        dns.addresses(NAME, "127.0.0.2");
        startIlb("dns://" + NAME + ":" + port);
        HttpResponse<java.io.InputStream> stream = ilb.openStream(MODEL, 25);
        assertThat(Appliance.servedBy(stream)).isEqualTo(id("127.0.0.2"));

        dns.addresses(NAME, "127.0.0.3");
        await().until(() -> ilb.balancer("pool-" + MODEL).backends().stream().map(Backend::id).toList()
                .equals(List.of(id("127.0.0.3"))));
        assertThat(known(id("127.0.0.2"))).as("kept while its stream runs").isTrue();
        await().until(() -> ilb.balancer("pool-" + MODEL).backendsInRotation() == 1);
        HttpResponse<String> meanwhile = ilb.post("/v1/chat/completions", Appliance.chat(MODEL, 2));

        List<String> events = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            lines.lines().filter(line -> line.startsWith("data: ")).forEach(events::add);
        }
        assertThat(meanwhile.statusCode()).isEqualTo(200);
        assertThat(Appliance.servedBy(meanwhile)).isEqualTo(id("127.0.0.3"));
        assertThat(events).last().isEqualTo("data: [DONE]");
        assertThat(events.stream().filter(event -> event.contains("\"content\"")).count()).isEqualTo(25);
        await().until(() -> !known(id("127.0.0.2")));
    }

    @Test
    void aNewServerTakesNoRequestBeforeItsHealthCheckPasses() throws Exception {
        server("127.0.0.2");
        dns.addresses(NAME, "127.0.0.2");
        startIlb("dns://" + NAME + ":" + port);

        // nothing listens on 127.0.0.6 yet: a pod scheduled, its model still loading
        dns.addresses(NAME, "127.0.0.2", "127.0.0.6");
        await().until(() -> known(id("127.0.0.6")));
        List<HttpResponse<String>> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            answers.add(ilb.post("/v1/chat/completions", Appliance.chat(MODEL, 2)));
        }
        assertThat(answers).allSatisfy(answer -> {
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(Appliance.servedBy(answer)).isEqualTo(id("127.0.0.2"));
            assertThat(Appliance.attempts(answer)).isEqualTo(1);
        });
        assertThat(ilb.backend(id("127.0.0.6")).health()).startsWith("DOWN");

        server("127.0.0.6");
        await().until(() -> ilb.servedBy(MODEL, 4).contains(id("127.0.0.6")));
    }

    @Test
    void aFailedLookupKeepsTheServersOfTheLastAnswer() throws Exception {
        server("127.0.0.2");
        server("127.0.0.3");
        dns.addresses(NAME, "127.0.0.2", "127.0.0.3");
        startIlb("dns://" + NAME + ":" + port);
        BackendComponent backends = ilb.context().getComponent("backend", BackendComponent.class);
        await().until(() -> ilb.balancer("pool-" + MODEL).backendsInRotation() == 2);

        dns.stop();
        long failedBefore = backends.dnsLookups(true);
        await().until(() -> backends.dnsLookups(true) > failedBefore);

        assertThat(ilb.balancer("pool-" + MODEL).backends()).hasSize(2);
        assertThat(ilb.servedBy(MODEL, 10)).containsOnly(id("127.0.0.2"), id("127.0.0.3"));

        dns.restart();
        long answeredBefore = backends.dnsLookups(false);
        await().until(() -> backends.dnsLookups(false) > answeredBefore);
        assertThat(ilb.balancer("pool-" + MODEL).backends()).hasSize(2);
    }

    @Test
    void aReloadOfTheRouteKeepsItsServersWithoutAnError() throws Exception {
        server("127.0.0.2");
        server("127.0.0.3");
        dns.addresses(NAME, "127.0.0.2", "127.0.0.3");
        ilb = Appliance.start(route("least-request"), "ilb.dns.nameservers=" + dns.nameserver(),
                "camel.main.routesReloadEnabled=true");
        await().until(() -> ilb.balancer("pool-" + MODEL).backendsInRotation() == 2);
        try (Load load = new Load(ilb, 4)) {
            await().until(() -> load.ok() >= 40);
            Backend before = ilb.backend(id("127.0.0.2"));
            InferenceLoadBalancer first = ilb.balancer("pool-" + MODEL);

            Files.writeString(ilb.poolRouteFile(), route("round-robin"));
            // while the route is replaced, it may be missing for a moment
            await().ignoreExceptions().until(() -> ilb.balancer("pool-" + MODEL) != first);
            long servedThen = load.ok();
            await().until(() -> load.ok() > servedThen + 40);
            load.stop();

            assertThat(load.failures()).isEmpty();
            assertThat(load.ok()).isEqualTo(load.sent());
            assertThat(ilb.backend(id("127.0.0.2"))).as("its state kept across the reload").isSameAs(before);
            assertThat(ilb.balancer("pool-" + MODEL).backendsInRotation()).isEqualTo(2);
        }
    }

    @Test
    void eachSrvTargetIsABackendAtItsRecordsPortAndWeight() throws Exception {
        SimulatedBackend light = SimulatedBackend.start(new SimulatorOptions());
        SimulatedBackend heavy = SimulatedBackend.start(new SimulatorOptions());
        servers.add(light);
        servers.add(heavy);
        dns.addresses("light.sim.ilb.test", "127.0.0.1");
        dns.addresses("heavy.sim.ilb.test", "127.0.0.1");
        dns.srv("_http._tcp." + NAME, new DnsServer.Srv("light.sim.ilb.test", light.port(), 1),
                new DnsServer.Srv("heavy.sim.ilb.test", heavy.port(), 3));
        startIlb("srv://_http._tcp." + NAME);

        Backend lightBackend = ilb.backend("sim@127.0.0.1:" + light.port());
        Backend heavyBackend = ilb.backend("sim@127.0.0.1:" + heavy.port());
        assertThat(lightBackend.settings().weight()).isEqualTo(1);
        assertThat(heavyBackend.settings().weight()).isEqualTo(3);
        await().until(() -> ilb.balancer("pool-" + MODEL).backendsInRotation() == 2);
        assertThat(ilb.servedBy(MODEL, 4)).isSubsetOf(lightBackend.id(), heavyBackend.id());
    }

    @Test
    void serversFoundByDnsTalkTlsWithCertificatesForTheServicesName(@TempDir Path dir) throws Exception {
        TestCertificates ca = TestCertificates.authority(dir, "test-ca");
        // for the name only: ilb connects to each server's address, but checks (and sends as SNI) the name
        TestCertificates.Issued service = ca.server("service", NAME);
        for (String ip : List.of("127.0.0.2", "127.0.0.3")) {
            servers.add(SimulatedBackend.start(SimulatorOptions.parse("--host", ip, "--port", Integer.toString(port),
                    "--tls-cert", service.certFile().toString(), "--tls-key", service.keyFile().toString())));
        }
        dns.addresses(NAME, "127.0.0.2", "127.0.0.3");
        ilb = Appliance.start(PoolRoute.pool(MODEL, "round-robin", PoolRoute.backend("sim", "dns://" + NAME + ":"
                + port, "tls: true", "trustFile: " + ca.caFile(), "resolveInterval: 100ms", "healthInterval: 100ms")),
                "ilb.dns.nameservers=" + dns.nameserver());

        await().until(() -> ilb.balancer("pool-" + MODEL).backendsInRotation() == 2);
        assertThat(ilb.backend(id("127.0.0.2")).settings().url().toString()).isEqualTo("https://127.0.0.2:" + port);
        assertThat(ilb.servedBy(MODEL, 4)).containsOnly(id("127.0.0.2"), id("127.0.0.3")).hasSize(4);
    }

    private SimulatedBackend server(String ip) {
        SimulatedBackend server = SimulatedBackend.start(SimulatorOptions.parse("--host", ip, "--port",
                Integer.toString(port)));
        servers.add(server);
        return server;
    }

    private void stop(SimulatedBackend server) {
        servers.remove(server);
        server.close();
    }

    private void startIlb(String url) {
        ilb = Appliance.start(PoolRoute.pool(MODEL, "least-request", PoolRoute.backend("sim", url,
                "resolveInterval: 100ms", "healthInterval: 100ms")), "ilb.dns.nameservers=" + dns.nameserver());
    }

    private String route(String policy) {
        return PoolRoute.pool(MODEL, policy, PoolRoute.backend("sim", "dns://" + NAME + ":" + port,
                "resolveInterval: 100ms", "healthInterval: 100ms"));
    }

    private String id(String ip) {
        return "sim@" + ip + ":" + port;
    }

    private boolean known(String id) {
        return ilb.context().getComponent("backend", BackendComponent.class).backends().stream()
                .anyMatch(backend -> backend.id().equals(id));
    }

    /** Clients sending chat completions one after the other until stopped, counting every outcome. */
    private static final class Load implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final LongAdder sent = new LongAdder();
        private final AtomicLong ok = new AtomicLong();
        private final Map<String, LongAdder> byBackend = new ConcurrentHashMap<>();
        private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        private final List<Thread> clients = new ArrayList<>();

        Load(Appliance ilb, int concurrency) {
            for (int i = 0; i < concurrency; i++) {
                Thread client = new Thread(() -> {
                    while (running.get()) {
                        sent.increment();
                        HttpResponse<String> answer = ilb.post("/v1/chat/completions", Appliance.chat(MODEL, 2));
                        if (answer.statusCode() == 200) {
                            ok.incrementAndGet();
                            byBackend.computeIfAbsent(Appliance.servedBy(answer), b -> new LongAdder()).increment();
                        } else {
                            failures.add(answer.statusCode() + " " + answer.body());
                        }
                    }
                });
                client.setDaemon(true);
                client.start();
                clients.add(client);
            }
        }

        long servedBy(String backend) {
            LongAdder count = byBackend.get(backend);
            return count == null ? 0 : count.sum();
        }

        long ok() {
            return ok.get();
        }

        long sent() {
            return sent.sum();
        }

        List<String> failures() {
            return failures;
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread client : clients) {
                client.join();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }
}
