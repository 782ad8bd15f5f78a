package ilb.console;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.camel.spi.PropertiesComponent;

/**
 * The console's {@code ilb.console.*} properties (application.properties).
 *
 * @param war the hawtio war to serve (the build copies it to target/hawtio)
 * @param workDir where Jetty unpacks the war, kept across restarts so that it is unpacked once
 * @param users the users file ({@link UsersFile})
 * @param policy the Jolokia access policy of the console
 * @param authenticationEnabled false only for local development: then anyone reaching the port is an admin
 * @param firstAdmin whether a users file with no users gets an {@code admin} with a random password
 *                   ({@link FirstAdmin})
 * @param origins the origins ({@code http://host:port}) browsers reach the console by; its Jolokia refuses others
 * @param logins how many failed logins an address may make before it waits, and how many are verified a second
 * @param rememberVerified how long a verified password is taken again without hashing it ({@link PasswordCheck})
 */
public record ConsoleSettings(String host, int port, Path war, Path workDir, Path users, Path policy,
        boolean authenticationEnabled, boolean firstAdmin, List<String> origins, LoginLimits logins,
        Duration rememberVerified) {

    /**
     * @param failuresAllowed failed logins an address may make before it must wait
     * @param firstBackoff its first wait, doubled at each further failure (up to {@link LoginThrottle#MAX_BACKOFF})
     * @param verificationsPerSecond password verifications a second from all addresses together
     */
    public record LoginLimits(int failuresAllowed, Duration firstBackoff, double verificationsPerSecond) {
    }

    public ConsoleSettings {
        origins = List.copyOf(origins);
    }

    /** @param tls whether the console serves HTTPS (its own origins are then https://) */
    public static ConsoleSettings from(PropertiesComponent properties, boolean tls) {
        String host = property(properties, "host");
        int port = Integer.parseInt(property(properties, "port"));
        String origins = optional(properties, "origins", "");
        return new ConsoleSettings(host, port,
                Path.of(property(properties, "war")), Path.of(property(properties, "workDir")),
                Path.of(property(properties, "users")), Path.of(property(properties, "policy")),
                flag(property(properties, "authenticationEnabled")),
                Boolean.parseBoolean(optional(properties, "firstAdmin", "false")),
                origins.isBlank() ? ownOrigins(tls ? "https" : "http", host, port) : Arrays.asList(origins.trim().split("\\s*,\\s*")),
                new LoginLimits(Integer.parseInt(optional(properties, "loginFailuresAllowed", "5")),
                        Duration.ofSeconds(Long.parseLong(optional(properties, "loginBackoffSeconds", "2"))),
                        Double.parseDouble(optional(properties, "loginVerificationsPerSecond", "4"))),
                Duration.ofSeconds(Long.parseLong(optional(properties, "rememberLoginSeconds", "60"))));
    }

    /**
     * The names this machine surely has: loopback, the address the console is bound to, and, bound to every
     * address, the machine's host name. Any other (a DNS alias, an address, a proxy) goes in ilb.console.origins.
     */
    static List<String> ownOrigins(String scheme, String host, int port) {
        List<String> hosts = new ArrayList<>(List.of("localhost", "127.0.0.1", "[::1]"));
        if (host.equals("0.0.0.0") || host.equals("::") || host.isBlank()) {
            try {
                hosts.add(InetAddress.getLocalHost().getHostName());
            } catch (UnknownHostException e) {
                // no name for this machine: loopback only
            }
        } else if (!hosts.contains(host)) {
            hosts.add(host.contains(":") ? "[" + host + "]" : host);
        }
        return hosts.stream().map(name -> scheme + "://" + name + ":" + port).toList();
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

    private static String optional(PropertiesComponent properties, String name, String otherwise) {
        return properties.resolveProperty("ilb.console." + name).orElse(otherwise);
    }
}
