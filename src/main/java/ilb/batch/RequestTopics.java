package ilb.batch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import ilb.admission.ApiKeys;
import ilb.admission.Tenant;
import org.apache.camel.spi.PropertiesComponent;

/**
 * The Kafka topics batch jobs come on, and whose jobs they are. On a shared topic ({@code ilb.batch.requestsTopic},
 * comma-separated) a job names its tenant by its {@code authorization} header. On a tenant's own topic
 * ({@code ilb.tenant.<name>.requestsTopic}) a job is that tenant's whatever its headers say: the cluster's ACLs decide
 * who may write there, so the topic needs no key, and a key naming another tenant does not make the job that
 * tenant's. A topic is one tenant's at most, never also a shared one, and never one ilb writes results or dead
 * letters to (ilb would read its own output).
 */
public final class RequestTopics {

    /** The property routes/batch.yaml subscribes to: every topic of {@link #all()}, comma-separated, set at start. */
    public static final String PROPERTY = "ilb.batch.intakeTopics";

    /** Kafka's legal topic names. */
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private final List<String> shared;
    private final Map<String, Tenant> owners;

    private RequestTopics(List<String> shared, Map<String, Tenant> owners) {
        this.shared = shared;
        this.owners = owners;
    }

    /**
     * @param shared  {@code ilb.batch.requestsTopic}: one topic or several, comma-separated
     * @param written the topics ilb writes to: the results topics (shared and tenants') and the dead-letter topic
     * @throws IllegalArgumentException a tenant's topic that is not one legal name, is another tenant's or a shared
     *                                  one, or any requests topic ilb writes to
     */
    public static RequestTopics of(String shared, Collection<String> written, List<Tenant> tenants) {
        List<String> sharedTopics = Arrays.stream(shared.split(",")).map(String::strip).filter(t -> !t.isEmpty())
                .distinct().toList();
        for (String topic : sharedTopics) {
            refuseWritten("ilb.batch.requestsTopic", topic, written);
        }
        Map<String, Tenant> owners = new LinkedHashMap<>();
        for (Tenant tenant : tenants) {
            if (tenant.requestsTopic() == null) {
                continue;
            }
            String topic = tenant.requestsTopic().strip();
            String property = "ilb.tenant." + tenant.name() + ".requestsTopic";
            if (!TOPIC.matcher(topic).matches()) {
                throw new IllegalArgumentException(property + " must be one Kafka topic name (letters, digits, '.',"
                        + " '_', '-'), not '" + topic + "'");
            }
            if (sharedTopics.contains(topic)) {
                throw new IllegalArgumentException(property + " '" + topic + "' is also in ilb.batch.requestsTopic,"
                        + " whose jobs name their tenant by API key: give tenant " + tenant.name()
                        + " a topic of its own");
            }
            refuseWritten(property, topic, written);
            Tenant other = owners.putIfAbsent(topic, tenant);
            if (other != null) {
                throw new IllegalArgumentException("ilb.tenant." + other.name() + ".requestsTopic and " + property
                        + " are both '" + topic + "': a requests topic is one tenant's, whose jobs need no key");
            }
        }
        return new RequestTopics(sharedTopics, owners);
    }

    /** The topics of {@code ilb.batch.requestsTopic} and of the tenants' {@code requestsTopic}. */
    public static RequestTopics fromProperties(PropertiesComponent properties, ApiKeys apiKeys) {
        Set<String> written = new LinkedHashSet<>(apiKeys.batchResultsTopics());
        written.add(properties.resolveProperty("ilb.batch.resultsTopic").orElseThrow());
        written.add(properties.resolveProperty("ilb.batch.dlqTopic").orElseThrow());
        return of(properties.resolveProperty("ilb.batch.requestsTopic").orElseThrow(), written, apiKeys.tenants());
    }

    private static void refuseWritten(String property, String topic, Collection<String> written) {
        if (written.contains(topic)) {
            throw new IllegalArgumentException(property + " '" + topic + "' is a topic ilb writes batch results or"
                    + " dead letters to (ilb.batch.resultsTopic, ilb.batch.dlqTopic, a tenant's batchResultsTopic):"
                    + " ilb would read its own output as jobs");
        }
    }

    /** The tenant whose own topic this is, or null for a shared topic (its jobs name their tenant by key). */
    public Tenant owner(String topic) {
        return owners.get(topic);
    }

    /** Whether any tenant has a topic of its own, and so can send jobs without a key. */
    public boolean anyOwned() {
        return !owners.isEmpty();
    }

    /** Every topic jobs come on: the shared ones, then the tenants'. */
    public List<String> all() {
        List<String> all = new ArrayList<>(shared);
        all.addAll(owners.keySet());
        return List.copyOf(all);
    }
}
