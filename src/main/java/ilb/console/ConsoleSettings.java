package ilb.console;

import java.nio.file.Path;

import org.apache.camel.spi.PropertiesComponent;

/**
 * The console's {@code ilb.console.*} properties (application.properties).
 *
 * @param war the hawtio war to serve (the build copies it to target/hawtio)
 * @param workDir where Jetty unpacks the war, kept across restarts so that it is unpacked once
 * @param users the users file ({@link UsersFile})
 * @param policy the Jolokia access policy of the console
 * @param authenticationEnabled false only for local development: then anyone reaching the port is an admin
 */
public record ConsoleSettings(String host, int port, Path war, Path workDir, Path users, Path policy,
        boolean authenticationEnabled) {

    public static ConsoleSettings from(PropertiesComponent properties) {
        return new ConsoleSettings(property(properties, "host"), Integer.parseInt(property(properties, "port")),
                Path.of(property(properties, "war")), Path.of(property(properties, "workDir")),
                Path.of(property(properties, "users")), Path.of(property(properties, "policy")),
                flag(property(properties, "authenticationEnabled")));
    }

    /** true or false, nothing else: a typo must not turn login off. */
    private static boolean flag(String value) {
        return switch (value.trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("ilb.console.authenticationEnabled must be true or false, not "
                    + value);
        };
    }

    private static String property(PropertiesComponent properties, String name) {
        return properties.resolveProperty("ilb.console." + name)
                .orElseThrow(() -> new IllegalArgumentException("ilb.console." + name + " is not set"));
    }
}
