package ilb.policies;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import ilb.balancer.InferenceLoadBalancer;
import ilb.balancer.PoolOption;
import ilb.balancer.PoolOptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The policies' declared options are what checks a pool's spec, and what the README says. */
class PoliciesTest {

    @Test
    void everyPolicyTakesItsOptionsAndThePoolsAtTheirDefaults() {
        for (Policy policy : Policies.ALL) {
            String spec = policy.name() + "?" + policy.poolOptions().stream()
                    .map(option -> option.name() + "=" + option.defaultValue()).collect(Collectors.joining("&"));
            assertThat(policy.of(PoolOptions.parse(spec))).as(spec).isNotNull();
        }
    }

    @Test
    void aWrongOptionOrValueIsNamedWithItsPolicy() {
        Policy affinity = Policies.named("prefix-affinity");

        assertThatThrownBy(() -> affinity.of(PoolOptions.parse("prefix-affinity?queue=2")))
                .hasMessage("balancer prefix-affinity: unknown option(s) [queue]; known: [hedgeAfter, loadBound,"
                        + " sloTpot, sloTtft]");
        assertThatThrownBy(() -> affinity.of(PoolOptions.parse("prefix-affinity?loadBound=lots")))
                .hasMessage("balancer prefix-affinity: loadBound must be a number, got lots");
        assertThatThrownBy(() -> affinity.of(PoolOptions.parse("prefix-affinity?hedgeAfter=soon")))
                .hasMessage("balancer prefix-affinity: hedgeAfter must be a duration, got soon");
        assertThat(Policies.named("no-such-policy")).isNull();
    }

    @Test
    void theReadmeListsEveryPolicyAndOptionAsDeclared() throws Exception {
        String readme = Files.readString(Path.of("README.md"));

        assertThat(readme).contains(policyTable());
        assertThat(readme).contains(optionTable());
    }

    private static String policyTable() {
        StringBuilder table = new StringBuilder("| policy | picks | options |\n| --- | --- | --- |\n");
        for (Policy policy : Policies.ALL) {
            table.append("| `").append(policy.name()).append("` | ").append(policy.picks()).append(" | ")
                    .append(policy.options().stream().map(option -> "`" + option.name() + "`")
                            .collect(Collectors.joining(", ")))
                    .append(policy.options().isEmpty() ? "|\n" : " |\n");
        }
        return table.toString();
    }

    private static String optionTable() {
        StringBuilder table = new StringBuilder("| option | of | type | default | meaning |\n"
                + "| --- | --- | --- | --- | --- |\n");
        rows(table, "any policy", InferenceLoadBalancer.OPTIONS);
        for (Policy policy : Policies.ALL) {
            rows(table, "`" + policy.name() + "`", policy.options());
        }
        return table.toString();
    }

    private static void rows(StringBuilder table, String of, List<PoolOption> options) {
        for (PoolOption option : options) {
            table.append("| `").append(option.name()).append("` | ").append(of).append(" | ")
                    .append(option.kind().name().toLowerCase(Locale.ROOT)).append(" | `")
                    .append(option.defaultValue()).append("` | ").append(option.description()).append(" |\n");
        }
    }
}
