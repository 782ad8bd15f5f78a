package ilb;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the appliance: Camel Main with the routes of {@code ilb.routes.dir} (see application.properties).
 * <p>
 * Properties, the first that has a name wins: environment variables ({@code ILB_HTTP_PORT} for {@code ilb.http.port}),
 * JVM system properties ({@code -D}), the operator's {@code $ILB_CONFIG_DIR/application.properties}, the profile's
 * {@code application-<profile>.properties}, then the built-in {@code application.properties}.
 */
public final class Ilb {

    private static final Logger LOG = LoggerFactory.getLogger(Ilb.class);

    private Ilb() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main();
        main.configure().addConfiguration(IlbConfiguration.class);
        operatorProperties().forEach((name, value) -> main.addOverrideProperty((String) name, (String) value));
        // on SIGTERM: not ready first, then serve on a while, then let the requests in flight finish (ShutdownDrain)
        main.addMainListener(new ShutdownDrain());
        main.run(args);
    }

    /**
     * The operator's {@code application.properties} in {@code ILB_CONFIG_DIR} (default: {@code config/} of
     * {@code ilb.home}), if there is one. Camel Main puts the profile's file before every other location, so a file
     * added as a location could not override it: override properties rank above all locations and below the
     * environment and {@code -D}, which is the order wanted.
     */
    public static Properties operatorProperties() throws IOException {
        Path file = configDir().resolve("application.properties");
        Properties properties = new Properties();
        if (Files.isRegularFile(file)) {
            try (Reader reader = Files.newBufferedReader(file)) {
                properties.load(reader);
            }
            // how many, not which: values may be keys
            LOG.info("Configuration: {} overrides {} properties", file, properties.size());
        }
        return properties;
    }

    /** Read before Camel's properties exist, with Camel's precedence: the environment, then {@code -D}. */
    private static Path configDir() {
        String dir = setting("ILB_CONFIG_DIR", "ilb.config.dir");
        if (dir != null) {
            return Path.of(dir);
        }
        String home = setting("ILB_HOME", "ilb.home");
        return Path.of(home != null ? home : ".", "config");
    }

    private static String setting(String env, String property) {
        String value = System.getenv(env);
        return value != null && !value.isBlank() ? value : System.getProperty(property);
    }
}
