package ilb.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tenant of the ilb under test, as an operator writes it: its name, its API key ({@code sk-bench-<name>}) and its
 * {@code ilb.tenant.<name>.*} settings ({@code priority}, {@code weight}, {@code requestsPerMinute}, ...). Its
 * requests carry its key ({@link #sign}); systems without tenancy (HAProxy) get the same requests and ignore it.
 */
record TenantSpec(String name, String apiKey, Map<String, String> settings) {

    /**
     * The bench's own tenant, with the key of the readiness probes ({@link SystemUnderTest#awaitReady}) and no
     * limits: an ilb with tenants has it too, so that probing it takes nothing from the tenants measured.
     */
    static final TenantSpec BENCH = new TenantSpec("bench", "sk-ilb-demo", Map.of());

    /** A tenant with settings {@code name=value} ({@code "priority=critical"}, {@code "weight=1"}). */
    static TenantSpec of(String name, String... settings) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String setting : settings) {
            String[] pair = setting.split("=", 2);
            map.put(pair[0], pair[1]);
        }
        return new TenantSpec(name, "sk-bench-" + name, Map.copyOf(map));
    }

    /** The request as this tenant sends it. */
    ChatRequest sign(ChatRequest request) {
        return request.withApiKey(apiKey());
    }

    /** {@code name=value} settings as shown in a report. */
    String describe() {
        List<String> shown = new ArrayList<>();
        settings.forEach((key, value) -> shown.add(key + "=" + value));
        return name + " (" + (shown.isEmpty() ? "defaults" : String.join(", ", shown.stream().sorted().toList())) + ")";
    }

    /** ilb's system properties for these tenants and the bench's own: authentication on, each with its key. */
    static List<String> properties(List<TenantSpec> tenants) {
        List<TenantSpec> all = new ArrayList<>(List.of(BENCH));
        all.addAll(tenants);
        List<String> properties = new ArrayList<>(List.of("-Dilb.auth.enabled=true",
                "-Dilb.tenants=" + String.join(",", all.stream().map(TenantSpec::name).toList())));
        for (TenantSpec tenant : all) {
            String prefix = "-Dilb.tenant." + tenant.name() + ".";
            properties.add(prefix + "apiKeys=" + tenant.apiKey());
            tenant.settings().forEach((key, value) -> properties.add(prefix + key + "=" + value));
        }
        return properties;
    }
}
