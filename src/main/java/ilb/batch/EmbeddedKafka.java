package ilb.batch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one) inside ilb's JVM, bound to 127.0.0.1, for
 * when no cluster is configured: ilb's batch topics then work on a fresh machine with nothing else running. Its
 * data lives in a directory that outlasts restarts, so jobs submitted before a restart are still there after it.
 */
public final class EmbeddedKafka extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final int port;
    private final int controllerPort;
    private final Path dataDir;
    private final int partitions;
    private KafkaRaftServer server;

    /**
     * @param port       the broker's client port on 127.0.0.1
     * @param dataDir    where its log and metadata live
     * @param partitions partitions of the topics it creates, and of any topic a client creates by using it
     */
    public EmbeddedKafka(int port, int controllerPort, Path dataDir, int partitions) {
        this.port = port;
        this.controllerPort = controllerPort;
        this.dataDir = dataDir;
        this.partitions = partitions;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    @Override
    protected void doStart() throws Exception {
        // Kafka halts the JVM when it cannot bind: say why before that can happen
        for (int wanted : new int[] {port, controllerPort}) {
            try (java.net.ServerSocket socket = new java.net.ServerSocket(wanted, 1,
                    java.net.InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
            } catch (IOException e) {
                throw new IllegalStateException("the embedded Kafka broker cannot use port " + wanted + " ("
                        + e.getMessage() + "): set camel.component.kafka.brokers to use the Kafka running there, or"
                        + " ilb.kafka.embedded.port / controllerPort to other ports");
            }
        }
        // Kafka halts the JVM on a fatal fault of its broker; here that JVM serves inference too, which must go on
        Exit.setHaltProcedure((status, message) -> LOG.error("The embedded Kafka broker failed ({}): batch jobs"
                + " stop until ilb restarts", message));
        Exit.setExitProcedure((status, message) -> LOG.error("The embedded Kafka broker failed ({}): batch jobs"
                + " stop until ilb restarts", message));
        Files.createDirectories(dataDir);
        Properties config = brokerConfig();
        Path file = dataDir.resolve("server.properties");
        try (var out = Files.newBufferedWriter(file)) {
            config.store(out, "ilb's embedded Kafka broker");
        }
        format(file);
        server = new KafkaRaftServer(new KafkaConfig(config), Time.SYSTEM);
        server.startup();
        LOG.info("Embedded Kafka broker on {} (data in {}); set camel.component.kafka.brokers to use a cluster instead",
                bootstrapServers(), dataDir);
    }

    @Override
    protected void doStop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    private Properties brokerConfig() {
        Properties config = new Properties();
        config.put("process.roles", "broker,controller");
        config.put("node.id", "1");
        config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        config.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("log.dirs", dataDir.resolve("log").toString());
        config.put("num.partitions", String.valueOf(partitions));
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "4");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        // a laptop's broker: small segments, and no 1 GiB of preallocated index per partition
        config.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        return config;
    }

    /** Formats the storage once; a directory formatted before keeps its data and cluster id. */
    private void format(Path file) {
        if (Files.exists(dataDir.resolve("log").resolve("meta.properties"))) {
            return;
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            status = StorageTool.execute(new String[] {"format", "-t",
                Uuid.randomUuid().toString(), "-c", file.toString()}, out);
        } catch (Exception e) {
            throw new IllegalStateException("could not format Kafka storage in " + dataDir + ": " + e.getMessage(), e);
        }
        if (status != 0) {
            throw new IllegalStateException("could not format Kafka storage in " + dataDir + ": "
                    + output.toString(StandardCharsets.UTF_8));
        }
    }
}
