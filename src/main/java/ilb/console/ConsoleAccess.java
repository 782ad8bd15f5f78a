package ilb.console;

import java.lang.management.ManagementFactory;
import java.security.AccessController;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import javax.management.openmbean.TabularData;
import javax.management.openmbean.TabularDataSupport;
import javax.management.openmbean.TabularType;
import javax.security.auth.Subject;

/**
 * The console's roles applied to JMX: an admin may invoke anything (the Jolokia policy then narrows it to reads and
 * ilb's operations), a viewer only what reads: attribute getters and operations named as reads ({@code get},
 * {@code is}, {@code dump}, {@code list}, {@code browse}, {@code canInvoke}), which Hawtio's pages need to show
 * routes and their statistics. With authentication off there is no user, and the policy alone decides; with it on,
 * a request without a user may invoke nothing.
 */
public final class ConsoleAccess implements ConsoleAccessMBean {

    static final String OBJECT_NAME = "ilb:type=security,area=jmx,name=ConsoleAccess";
    private static final String[] READS = {"get", "is", "dump", "list", "browse", "canInvoke"};
    private static final String[] COLUMNS = {"ObjectName", "Method", "CanInvoke"};
    private static final CompositeType ROW;
    private static final TabularType TABLE;

    static {
        try {
            ROW = new CompositeType("CanInvokeRowType", "whether the user may invoke a method", COLUMNS, COLUMNS,
                    new OpenType<?>[] {SimpleType.STRING, SimpleType.STRING, SimpleType.BOOLEAN});
            TABLE = new TabularType("CanInvokeTabularType", "canInvoke of many methods", ROW,
                    new String[] {"ObjectName", "Method"});
        } catch (OpenDataException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final ObjectName name;
    private final boolean usersRequired;

    private ConsoleAccess(ObjectName name, boolean usersRequired) {
        this.name = name;
        this.usersRequired = usersRequired;
    }

    /** Registers it on the platform MBean server, where Hawtio looks for it when its Jolokia starts. */
    static ConsoleAccess register(boolean usersRequired) {
        try {
            ConsoleAccess access = new ConsoleAccess(new ObjectName(OBJECT_NAME), usersRequired);
            if (access.server.isRegistered(access.name)) {
                // a console stopped without unregistering (another ilb in this JVM): this one answers now
                access.server.unregisterMBean(access.name);
            }
            access.server.registerMBean(access, access.name);
            return access;
        } catch (JMException e) {
            throw new IllegalStateException("cannot register " + OBJECT_NAME, e);
        }
    }

    void unregister() {
        try {
            server.unregisterMBean(name);
        } catch (JMException e) {
            // gone already
        }
    }

    /** Whether a user with these roles may invoke the method (an operation or accessor, with or without signature). */
    static boolean allows(Set<ConsoleRole> roles, String methodName) {
        if (resolvesPlaceholders(methodName)) {
            return false;
        }
        if (roles.contains(ConsoleRole.ADMIN)) {
            return true;
        }
        if (!roles.contains(ConsoleRole.VIEWER)) {
            return false;
        }
        for (String read : READS) {
            if (methodName.startsWith(read)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Camel's route dumps that take arguments may resolve property placeholders, and so show secrets a route names
     * ({{env:...}}, a backend's apiKey); the console uses only the plain dumps ({@code dumpRoutesAsXml()}).
     */
    private static boolean resolvesPlaceholders(String methodName) {
        int open = methodName.indexOf('(');
        return methodName.startsWith("dump") && open >= 0 && !methodName.endsWith("()");
    }

    @Override
    public boolean canInvoke(String objectName) {
        Set<ConsoleRole> roles = currentRoles();
        return roles == null ? !usersRequired : !roles.isEmpty();
    }

    @Override
    public boolean canInvoke(String objectName, String methodName) {
        Set<ConsoleRole> roles = currentRoles();
        return roles == null ? !usersRequired && !resolvesPlaceholders(methodName) : allows(roles, methodName);
    }

    @Override
    public boolean canInvoke(String objectName, String methodName, String[] argumentTypes) {
        return canInvoke(objectName, methodName + "(" + String.join(",", argumentTypes) + ")");
    }

    @Override
    public TabularData canInvoke(Map<String, List<String>> bulkQuery) throws OpenDataException {
        TabularData table = new TabularDataSupport(TABLE);
        for (Map.Entry<String, List<String>> mbean : bulkQuery.entrySet()) {
            for (String method : mbean.getValue()) {
                table.put(new CompositeDataSupport(ROW, COLUMNS,
                        new Object[] {mbean.getKey(), method, canInvoke(mbean.getKey(), method)}));
            }
        }
        return table;
    }

    /** The roles of the user whose request runs on this thread (Hawtio runs it as that subject); null: no user. */
    @SuppressWarnings("removal")
    private static Set<ConsoleRole> currentRoles() {
        Subject subject = Subject.getSubject(AccessController.getContext());
        if (subject == null) {
            return null;
        }
        return subject.getPrincipals(RolePrincipal.class).stream()
                .map(role -> ConsoleRole.of(role.name()))
                .collect(Collectors.toSet());
    }
}
