package ilb.console;

import java.util.List;
import java.util.Map;

import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.TabularData;

/**
 * What the logged-in console user may invoke, asked by Hawtio before every Jolokia read and exec (its
 * {@code RBACRestrictor}) and by its pages to grey out what the user may not run. Hawtio finds it by the name
 * pattern {@code *:type=security,area=jmx,*}; the signatures are the ones Hawtio calls.
 */
public interface ConsoleAccessMBean {

    /** Whether the user may invoke anything on the MBean. */
    boolean canInvoke(String objectName);

    /** @param methodName an operation or accessor, e.g. {@code drain()}, {@code changeWeight(int)}, {@code getState()} */
    boolean canInvoke(String objectName, String methodName);

    boolean canInvoke(String objectName, String methodName, String[] argumentTypes);

    /** For each MBean, each of the methods: a table of ObjectName, Method, CanInvoke. */
    TabularData canInvoke(Map<String, List<String>> bulkQuery) throws OpenDataException;
}
