package ilb.console;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.stream.Collectors;

import javax.net.ssl.SSLContext;

import ilb.tls.TlsContexts;
import jakarta.servlet.DispatcherType;
import org.apache.camel.support.service.ServiceSupport;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Hawtio console in ilb's JVM, on a port of its own under {@code /hawtio}: ilb's pools, backends and batch intake
 * with their operations (its Inference view, {@link InferencePlugin}), Camel's routes (Camel plugin) and every MBean
 * (JMX plugin). The war's own Jolokia reads the
 * platform MBean server; users log in against the users file, and what they may read and run is the Jolokia policy
 * narrowed by their role ({@link ConsoleAccess}). Logins are limited per address and in all ({@link LoginGuard}).
 */
public final class HawtioConsole extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(HawtioConsole.class);
    private static final String PATH = "/hawtio";

    private final ConsoleSettings settings;
    /** null: plaintext HTTP. */
    private final SSLContext tls;
    private Server server;
    private ConsoleRealm realm;
    private ConsoleAccess access;
    private PasswordCheck passwords;
    private InferencePlugin inference;

    /** @param tls HTTPS, its certificate reloaded when renewed ({@link TlsContexts#jdk}); null for HTTP */
    public HawtioConsole(ConsoleSettings settings, SSLContext tls) {
        this.settings = settings;
        this.tls = tls;
    }

    /**
     * Starts the console, or says why it could not and lets ilb serve without it (as without batch when Kafka cannot
     * start): the console is for operators, the inference API for everyone.
     */
    @Override
    protected void doStart() throws Exception {
        try {
            serve();
        } catch (Exception e) {
            LOG.warn("Console not started on {}:{}: {}", settings.host(), settings.port(), e.getMessage());
            doStop();
        }
    }

    private void serve() throws Exception {
        if (!Files.isRegularFile(settings.war())) {
            throw new IllegalStateException("no hawtio war at " + settings.war().toAbsolutePath()
                    + " (mvn compile copies it there; ilb.console.war names another)");
        }
        if (!Files.isRegularFile(settings.policy())) {
            throw new IllegalStateException("no Jolokia access policy at " + settings.policy().toAbsolutePath());
        }
        configureHawtio();
        // before the war starts: Hawtio's Jolokia looks for it once, when it starts
        access = ConsoleAccess.register(settings.authenticationEnabled());
        // ilb's own view, "Inference" in the console's navigation
        inference = new InferencePlugin(PATH);
        inference.register();

        server = new Server();
        ServerConnector connector = tls == null ? new ServerConnector(server) : httpsConnector();
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        server.addConnector(connector);
        WebAppContext webApp = webApp();
        server.setHandler(settings.authenticationEnabled() ? new LoginGuard(PATH, new LoginThrottle(
                settings.logins().failuresAllowed(), settings.logins().firstBackoff(),
                settings.logins().verificationsPerSecond(), System::nanoTime), passwords, webApp) : webApp);
        server.start();
        String scheme = tls == null ? "http" : "https";
        if (settings.authenticationEnabled()) {
            LOG.info("Console on {}://{}:{}{}/ (users: {}; its Jolokia answers pages from {} only)", scheme,
                    settings.host(), settings.port(), PATH, settings.users(), String.join(", ", settings.origins()));
        } else {
            LOG.warn("Console on {}://{}:{}{}/ WITHOUT LOGIN (ilb.console.authenticationEnabled=false): anyone who"
                    + " reaches the port may run what {} allows. For local development only.", scheme, settings.host(),
                    settings.port(), PATH, settings.policy());
        }
    }

    /**
     * HTTPS with the given context: Jetty asks its key manager at each handshake, so a renewed certificate is served
     * without a restart.
     */
    private ServerConnector httpsConnector() {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setSslContext(tls);
        ssl.setIncludeProtocols(TlsContexts.PROTOCOLS);
        HttpConfiguration http = new HttpConfiguration();
        // no check of the Host header against the certificate: the console is reached by addresses and proxies
        http.addCustomizer(new SecureRequestCustomizer(false));
        return new ServerConnector(server, new SslConnectionFactory(ssl, HttpVersion.HTTP_1_1.asString()),
                new HttpConnectionFactory(http));
    }

    /** Hawtio reads its settings from system properties only, so these are the JVM's. */
    private void configureHawtio() {
        System.setProperty("hawtio.authenticationEnabled", Boolean.toString(settings.authenticationEnabled()));
        if (settings.authenticationEnabled()) {
            UsersFile users = new UsersFile(settings.users());
            if (settings.firstAdmin()) {
                FirstAdmin.createIfNoUsers(users);
            } else if (users.users().isEmpty()) {
                LOG.info("Console users file {} has no users: nobody can log in until one is added (bin/ilb"
                        + " console user add <name> admin; in the source tree: mvn -q compile exec:java@ilb"
                        + " -Dexec.args=\"console user add <name> admin\")", users.path());
            }
            passwords = new PasswordCheck(users, settings.rememberVerified(), System::nanoTime);
            realm = ConsoleRealm.install(passwords);
            System.setProperty("hawtio.realm", ConsoleRealm.NAME);
            // who may log in at all, and the principal class that carries the roles
            System.setProperty("hawtio.roles", Arrays.stream(ConsoleRole.values()).map(ConsoleRole::id)
                    .collect(Collectors.joining(",")));
            System.setProperty("hawtio.rolePrincipalClasses", RolePrincipal.class.getName());
        }
        // the console manages this JVM only: no relaying to other Jolokia agents
        System.setProperty("hawtio.disableProxy", "true");
    }

    private WebAppContext webApp() throws Exception {
        WebAppContext webApp = new WebAppContext();
        webApp.setContextPath(PATH);
        webApp.setWar(settings.war().toAbsolutePath().toString());
        Files.createDirectories(settings.workDir());
        webApp.setTempDirectory(settings.workDir().toAbsolutePath().toFile());
        webApp.setTempDirectoryPersistent(true);
        // the war brings its own slf4j and log4j: Hawtio logs through ilb's slf4j and logback instead
        webApp.getProtectedClassMatcher().add("org.slf4j.");
        // and its own Jolokia, another version than ilb's (/observe/jolokia): the war must not see ilb's classes nor
        // its service lists (META-INF/jolokia/...), which name classes that are not the war's
        webApp.getHiddenClassMatcher().add("org.jolokia.", "META-INF.jolokia.");
        // read by the war's Jolokia: the policy with the console's origins, and the restrictor that asks
        // ConsoleAccess about the user
        Path policy = settings.workDir().resolve("jolokia-access.xml");
        ConsolePolicy.write(settings.policy(), settings.origins(), policy);
        webApp.setInitParameter("policyLocation", policy.toAbsolutePath().toUri().toString());
        webApp.setInitParameter("restrictorClass", "io.hawt.system.RBACRestrictor");
        // no JSR-160 proxy: the war's Jolokia would open JMX connections (RMI, JNDI) to any host a user names
        webApp.setInitParameter("disabledServices", "org.jolokia.service.jsr160.Jsr160RequestHandler");
        webApp.addServlet(new ServletHolder(inference), InferencePlugin.PATH + "/*");
        webApp.addEventListener(inference.servedBeforeLogin());
        webApp.addFilter(new FilterHolder(new NoProxyFilter(settings.authenticationEnabled())), "/jolokia/*",
                EnumSet.of(DispatcherType.REQUEST));
        // the session cookie is the login: no script reads it, and no other site's request carries it
        webApp.getSessionHandler().setHttpOnly(true);
        webApp.getSessionHandler().setSameSite(HttpCookie.SameSite.STRICT);
        if (tls != null) {
            // and, the console being HTTPS, never sent in the clear
            webApp.getSessionHandler().getSessionCookieConfig().setSecure(true);
        }
        return webApp;
    }

    @Override
    protected void doStop() throws Exception {
        if (server != null) {
            server.stop();
            server = null;
        }
        if (inference != null) {
            inference.unregister();
            inference = null;
        }
        if (access != null) {
            access.unregister();
            access = null;
        }
        if (realm != null) {
            realm.uninstall();
            realm = null;
        }
    }

    /** How many passwords the console has hashed to verify them (see {@link PasswordCheck#verifications}). */
    long verifications() {
        return passwords.verifications();
    }
}
