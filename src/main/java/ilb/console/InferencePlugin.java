package ilb.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The console's "Inference" view (src/main/resources/ilb/console/inference/remoteEntry.js): served by the console
 * under {@code /hawtio/ilb-inference/}, and registered as a Hawtio plugin so that the console loads it. The script
 * holds nothing secret, so it is served before login, as Hawtio loads its plugins before it asks for one; what it
 * shows comes through the console's Jolokia, for logged-in users only.
 */
final class InferencePlugin extends HttpServlet implements InferencePluginMBean {

    static final String PATH = "/ilb-inference";
    private static final String SCRIPT = "remoteEntry.js";
    private static final String NAME = "hawtio:type=plugin,name=ilb-inference";

    /** The console whose plugin is registered: another one's stop (tests run several) leaves it. */
    private static final AtomicReference<InferencePlugin> REGISTERED = new AtomicReference<>();

    private final String contextPath;
    private final byte[] script;

    /** @param contextPath the console's path ({@code /hawtio}) */
    InferencePlugin(String contextPath) {
        this.contextPath = contextPath;
        try (InputStream in = InferencePlugin.class.getResourceAsStream("/ilb/console/inference/" + SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException("no ilb/console/inference/" + SCRIPT + " on the class path");
            }
            this.script = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void register() throws JMException {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName(NAME);
        if (server.isRegistered(name)) {
            // another console in this JVM (tests): the newest one is shown
            server.unregisterMBean(name);
        }
        server.registerMBean(this, name);
        REGISTERED.set(this);
    }

    void unregister() {
        if (!REGISTERED.compareAndSet(this, null)) {
            return;
        }
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(new ObjectName(NAME));
        } catch (JMException e) {
            // gone already
        }
    }

    /**
     * Lets the script past Hawtio's filter that answers every path it does not know with its page (or the login page):
     * Hawtio's own paths that need no login, and this one. Read from the war's classes, where Hawtio keeps the list.
     */
    ServletContextListener servedBeforeLogin() {
        return new ServletContextListener() {
            @Override
            public void contextInitialized(ServletContextEvent event) {
                ServletContext context = event.getServletContext();
                try {
                    Class<?> configuration = Class.forName("io.hawt.web.auth.AuthenticationConfiguration", true,
                            context.getClassLoader());
                    String[] hawtios = (String[]) configuration.getField("UNSECURED_PATHS").get(null);
                    String[] paths = Arrays.copyOf(hawtios, hawtios.length + 1);
                    paths[hawtios.length] = PATH;
                    context.setAttribute("unsecuredPaths", paths);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("this Hawtio has no list of paths served before login", e);
                }
            }
        };
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!("/" + SCRIPT).equals(request.getPathInfo())) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        response.setContentType("text/javascript;charset=utf-8");
        response.setContentLength(script.length);
        response.getOutputStream().write(script);
    }

    @Override
    public String getUrl() {
        return contextPath + PATH;
    }

    @Override
    public String getScope() {
        return "ilbInference";
    }

    @Override
    public String getModule() {
        return "./plugin";
    }

    @Override
    public String getRemoteEntryFileName() {
        return SCRIPT;
    }

    @Override
    public boolean isBustRemoteEntryCache() {
        return true;
    }

    @Override
    public String getPluginEntry() {
        return "plugin";
    }
}
