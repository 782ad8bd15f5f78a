package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Logins sprayed at the console from one address: after the few it allows, the rest are answered 429 without their
 * passwords being hashed (the console's count of hashes says so), while a user at another address logs in. And a
 * Basic-auth Jolokia client has its password hashed once, not with every request.
 */
class ConsoleLoginLimitsTest {

    private static final Path DIR = Path.of("target", "console-limits-test");
    private static final String ADMIN = "ops";
    private static final String ADMIN_PASSWORD = "ops-password-1";
    private static final int FAILURES_ALLOWED = 3;

    private final Servers servers = new Servers();
    private final HttpClient http = HttpClient.newHttpClient();
    private HawtioConsole console;
    private int port;

    @BeforeEach
    void startIlbWithTheConsole() throws Exception {
        Files.createDirectories(DIR);
        UsersFile users = new UsersFile(DIR.resolve("users.properties"));
        Files.deleteIfExists(users.path());
        users.put(ConsoleUser.withPassword(ADMIN, ADMIN_PASSWORD.toCharArray(), Set.of(ConsoleRole.ADMIN)));
        port = Appliance.freePort();
        // a first wait of an hour: the refusals below do not depend on how fast this machine sends the attempts
        Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("a", servers.fastBackend())),
                "ilb.console.enabled=true", "ilb.console.host=127.0.0.1", "ilb.console.port=" + port,
                "ilb.console.users=" + users.path(), "ilb.console.loginFailuresAllowed=" + FAILURES_ALLOWED,
                "ilb.console.loginBackoffSeconds=3600", "ilb.console.loginVerificationsPerSecond=1000");
        console = ilb.context().hasService(HawtioConsole.class);
        assertThat(console).isNotNull();
    }

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void sprayedLoginsAreRefusedUnhashedWhileAnotherAddressLogsIn() throws Exception {
        long hashedBefore = console.verifications();
        int sent = 20;
        Map<Integer, Integer> outcomes = new TreeMap<>();
        for (int attempt = 0; attempt < sent; attempt++) {
            // one password tried on many names: the spraying Hawtio's own per-name throttle does not see
            HttpResponse<String> answer = http.send(login("user" + attempt, "Winter2025!"),
                    HttpResponse.BodyHandlers.ofString());
            outcomes.merge(answer.statusCode(), 1, Integer::sum);
            if (answer.statusCode() == 429) {
                assertThat(answer.headers().firstValue("retry-after").map(Long::parseLong)).get()
                        .satisfies(seconds -> assertThat(seconds).isPositive());
            }
        }

        assertThat(outcomes.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(sent);
        assertThat(outcomes.get(429)).as("outcomes %s", outcomes).isEqualTo(sent - FAILURES_ALLOWED);
        assertThat(outcomes.keySet()).as("the allowed few were verified and failed").containsOnly(403, 429)
                .hasSize(2);
        assertThat(console.verifications() - hashedBefore).isEqualTo(FAILURES_ALLOWED);

        // the right password from another address logs in, its session cookie kept from scripts and other sites
        RawAnswer fromElsewhere = loginFrom(InetAddress.getByName("127.0.0.2"), ADMIN, ADMIN_PASSWORD);
        assertThat(fromElsewhere.status()).isEqualTo(200);
        assertThat(fromElsewhere.headers()).filteredOn(header -> header.toLowerCase().startsWith("set-cookie:"))
                .singleElement().satisfies(cookie -> assertThat(cookie).contains("HttpOnly", "SameSite=Strict"));
        assertThat(console.verifications() - hashedBefore).isEqualTo(FAILURES_ALLOWED + 1);

        // the spraying address waits, even with the right password, and costs nothing meanwhile
        assertThat(http.send(login(ADMIN, ADMIN_PASSWORD), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(429);
        assertThat(console.verifications() - hashedBefore).isEqualTo(FAILURES_ALLOWED + 1);
    }

    @Test
    void aBasicAuthJolokiaClientHasItsPasswordHashedOnce() {
        String url = "http://127.0.0.1:" + port + "/hawtio/jolokia";
        JolokiaClient admin = JolokiaClient.as(url, ADMIN, ADMIN_PASSWORD).from(JolokiaClient.originOf(url));
        long hashedBefore = console.verifications();
        int sent = 10;
        for (int request = 0; request < sent; request++) {
            assertThat(admin.read("ilb:type=Backend,name=a", "State").path("value").asText()).isEqualTo("AVAILABLE");
        }
        assertThat(console.verifications() - hashedBefore).isEqualTo(1);

        // wrong Basic credentials are attempts like any other
        JolokiaClient guesser = JolokiaClient.as(url, ADMIN, "guess").from(JolokiaClient.originOf(url));
        List<Integer> statuses = new java.util.ArrayList<>();
        for (int request = 0; request < sent; request++) {
            statuses.add(guesser.send(JolokiaClient.request("read", "ilb:type=Backend,name=a")
                    .put("attribute", "State")).statusCode());
        }
        assertThat(statuses).hasSize(sent).filteredOn(status -> status == 429).hasSize(sent - FAILURES_ALLOWED);
        assertThat(statuses.subList(0, FAILURES_ALLOWED)).allMatch(status -> status == 401 || status == 403);
        assertThat(console.verifications() - hashedBefore).isEqualTo(1 + FAILURES_ALLOWED);
    }

    @Test
    void aSessionDoesNotForgiveGuessesMadeBesideIt() throws Exception {
        // a logged-in user's browser: its session cookie lets Jolokia answer whatever Basic header comes with it
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new java.net.CookieManager()).build();
        assertThat(browser.send(login(ADMIN, ADMIN_PASSWORD), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
        String guess = "Basic " + java.util.Base64.getEncoder().encodeToString((ADMIN + ":guess")
                .getBytes(StandardCharsets.UTF_8));
        String url = "http://127.0.0.1:" + port + "/hawtio/jolokia/version";
        Map<Integer, Integer> outcomes = new TreeMap<>();
        int sent = 2 * FAILURES_ALLOWED;
        for (int attempt = 0; attempt < sent; attempt++) {
            // a guess at the login, then a Jolokia read on the session with a wrong password beside it
            HttpResponse<String> guessed = browser.send(login("admin" + attempt, "guess"),
                    HttpResponse.BodyHandlers.ofString());
            outcomes.merge(guessed.statusCode(), 1, Integer::sum);
            browser.send(HttpRequest.newBuilder(URI.create(url)).header("authorization", guess)
                    .header("origin", JolokiaClient.originOf(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        }
        // the Jolokia reads did not forgive the address: its guesses were refused once it had made the allowed few
        assertThat(outcomes.getOrDefault(429, 0)).as("outcomes %s", outcomes).isGreaterThanOrEqualTo(FAILURES_ALLOWED);
        assertThat(outcomes.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(sent);
    }

    private HttpRequest login(String user, String password) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hawtio/auth/login"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(loginBody(user, password))).build();
    }

    private static String loginBody(String user, String password) {
        return "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}";
    }

    private record RawAnswer(int status, List<String> headers) {
    }

    /** A login over a socket of its own from the given local address (java.net.http cannot choose one on Java 17). */
    private RawAnswer loginFrom(InetAddress from, String user, String password) throws IOException {
        byte[] body = loginBody(user, password).getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            OutputStream out = socket.getOutputStream();
            out.write(("POST /hawtio/auth/login HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            List<String> head = List.of(answer.substring(0, answer.indexOf("\r\n\r\n")).split("\r\n"));
            return new RawAnswer(Integer.parseInt(head.get(0).split(" ")[1]), head.subList(1, head.size()));
        }
    }
}
