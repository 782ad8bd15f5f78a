package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.security.PrivilegedAction;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.TabularData;
import javax.security.auth.Subject;

import org.junit.jupiter.api.Test;

/** Roles applied to JMX, asked through the platform MBean server as Hawtio asks, as the user whose request it is. */
class ConsoleAccessTest {

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();

    @Test
    void anAdminMayInvokeAnythingAViewerOnlyWhatReads() throws Exception {
        ConsoleAccess access = ConsoleAccess.register(true);
        try {
            assertThat(canInvoke(user("admin"), "drain()")).isTrue();
            assertThat(canInvoke(user("admin"), "changeWeight(int)")).isTrue();

            assertThat(canInvoke(user("viewer"), "getState()")).isTrue();
            assertThat(canInvoke(user("viewer"), "isDrained()")).isTrue();
            assertThat(canInvoke(user("viewer"), "dumpRoutesAsXml()")).isTrue();
            assertThat(canInvoke(user("viewer"), "drain()")).isFalse();
            assertThat(canInvoke(user("viewer"), "resetBreaker()")).isFalse();
            assertThat(canInvoke(user("viewer"), "stop()")).isFalse();
            // dumps that may resolve placeholders (secrets) are nobody's
            assertThat(canInvoke(user("admin"), "dumpRoutesAsXml(boolean,boolean)")).isFalse();
            assertThat(canInvoke(user("viewer"), "dumpRouteAsYaml(boolean,boolean,boolean)")).isFalse();
        } finally {
            access.unregister();
        }
    }

    @Test
    void theBulkQueryAnswersEachMethod() throws Exception {
        ConsoleAccess access = ConsoleAccess.register(true);
        try {
            TabularData table = Subject.doAs(user("viewer"), (PrivilegedAction<TabularData>) () -> {
                try {
                    return (TabularData) server.invoke(new ObjectName(ConsoleAccess.OBJECT_NAME), "canInvoke",
                            new Object[] {Map.of("ilb:type=Backend,name=a", List.of("drain()", "checkHealthNow()",
                                    "getHealth()"))},
                            new String[] {Map.class.getName()});
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            assertThat(table.get(new Object[] {"ilb:type=Backend,name=a", "drain()"}).get("CanInvoke")).isEqualTo(false);
            assertThat(table.get(new Object[] {"ilb:type=Backend,name=a", "checkHealthNow()"}).get("CanInvoke"))
                    .isEqualTo(false);
            assertThat(table.get(new Object[] {"ilb:type=Backend,name=a", "getHealth()"}).get("CanInvoke"))
                    .isEqualTo(true);
        } finally {
            access.unregister();
        }
    }

    @Test
    void withoutAUserNothingWhenLoginIsOnEverythingWhenItIsOff() throws Exception {
        ConsoleAccess on = ConsoleAccess.register(true);
        try {
            assertThat(canInvoke(null, "getState()")).isFalse();
        } finally {
            on.unregister();
        }
        ConsoleAccess off = ConsoleAccess.register(false);
        try {
            assertThat(canInvoke(null, "drain()")).isTrue();
            assertThat(canInvoke(null, "dumpRoutesAsXml(boolean)")).isFalse();
        } finally {
            off.unregister();
        }
    }

    private boolean canInvoke(Subject subject, String method) throws Exception {
        Object[] params = {"ilb:type=Backend,name=a", method};
        String[] signature = {String.class.getName(), String.class.getName()};
        ObjectName name = new ObjectName(ConsoleAccess.OBJECT_NAME);
        if (subject == null) {
            return (Boolean) server.invoke(name, "canInvoke", params, signature);
        }
        return Subject.doAs(subject, (PrivilegedAction<Boolean>) () -> {
            try {
                return (Boolean) server.invoke(name, "canInvoke", params, signature);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static Subject user(String role) {
        return new Subject(true, Set.of(new UserPrincipal(role + "-user"), new RolePrincipal(role)), Set.of(), Set.of());
    }
}
