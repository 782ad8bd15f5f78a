package ilb.batch;

import java.nio.file.Path;

import ilb.admission.ApiKeys;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which Kafka the batch routes use: the cluster in {@code camel.component.kafka.brokers}, or, when none is set and
 * {@code ilb.kafka.embedded} is (the dev profile), an {@link EmbeddedKafka} broker started here (on
 * {@code ilb.kafka.embedded.port}), so that ilb's run command works on a machine with nothing else running. With
 * neither, batch is off. Either way the batch topics are created if missing.
 */
public final class BatchBroker {

    private static final Logger LOG = LoggerFactory.getLogger(BatchBroker.class);

    private BatchBroker() {
    }

    /** Whether batch jobs have a Kafka to use: a cluster is set, or the embedded broker allowed. */
    public static boolean hasKafka(PropertiesComponent properties) {
        return !brokers(properties).isEmpty()
                || Boolean.parseBoolean(properties.resolveProperty("ilb.kafka.embedded").orElse("false"));
    }

    /**
     * @param apiKeys  the tenants, whose own results topics are created too
     * @param requests the topics jobs come on, the tenants' own among them, created too
     * @return the brokers' bootstrap servers, or null when batch jobs are off: no cluster is set and no embedded broker
     *         allowed, or the embedded one did not start
     */
    public static String connect(CamelContext context, ApiKeys apiKeys, RequestTopics requests) throws Exception {
        PropertiesComponent properties = context.getPropertiesComponent();
        String brokers = brokers(properties);
        int partitions = Integer.parseInt(properties.resolveProperty("ilb.kafka.partitions").orElse("6"));
        BatchTopics topics = new BatchTopics(String.join(",", requests.all()),
                properties.resolveProperty("ilb.batch.resultsTopic").orElseThrow(),
                properties.resolveProperty("ilb.batch.dlqTopic").orElseThrow());
        String[] tenantResults = apiKeys.batchResultsTopics().toArray(String[]::new);
        if (!hasKafka(properties)) {
            properties.addOverrideProperty("ilb.batch.enabled", "false");
            LOG.info("Batch jobs over Kafka are off: set camel.component.kafka.brokers to the cluster's brokers to turn"
                    + " them on");
            return null;
        }
        if (brokers.isEmpty()) {
            EmbeddedKafka broker = new EmbeddedKafka(
                    Integer.parseInt(properties.resolveProperty("ilb.kafka.embedded.port").orElseThrow()),
                    Integer.parseInt(properties.resolveProperty("ilb.kafka.embedded.controllerPort").orElseThrow()),
                    Path.of(properties.resolveProperty("ilb.kafka.embedded.dir").orElseThrow()).toAbsolutePath(),
                    partitions);
            try {
                // started now, before the routes: they connect to it as they start; stopped with Camel, after them
                broker.start();
                context.addService(broker, true, false);
                brokers = broker.bootstrapServers();
                context.getComponent("kafka", KafkaComponent.class).getConfiguration().setBrokers(brokers);
                topics.ensure(brokers, partitions, tenantResults);
            } catch (Exception e) {
                // the inference API serves without batch rather than not at all
                broker.stop();
                properties.addOverrideProperty("ilb.batch.enabled", "false");
                LOG.error("Batch jobs are off: the embedded Kafka broker did not start: {}", e.getMessage());
                return null;
            }
            return brokers;
        }
        try {
            java.util.List<String> created = topics.ensure(brokers, partitions, tenantResults);
            if (!created.isEmpty()) {
                LOG.info("Created Kafka topics {} on {}", created, brokers);
            }
        } catch (Exception e) {
            // the batch consumer keeps trying to connect on its own; the inference API serves meanwhile
            LOG.warn("Could not check the batch topics on Kafka {}: {}", brokers, e.getMessage());
        }
        return brokers;
    }

    private static String brokers(PropertiesComponent properties) {
        return properties.resolveProperty("camel.component.kafka.brokers").orElse("").trim();
    }
}
