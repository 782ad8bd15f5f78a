package ilb.batch;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicReference;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.camel.support.service.ServiceSupport;

/** Registers the batch intake as {@code ilb:type=BatchIntake} while Camel runs ({@link BatchIntakeMXBean}). */
public final class BatchIntakeMBean extends ServiceSupport implements BatchIntakeMXBean {

    static final String NAME = "ilb:type=BatchIntake";

    /** The intake registered now: another ilb's stop (tests run several in one JVM) leaves it. */
    private static final AtomicReference<BatchIntakeMBean> REGISTERED = new AtomicReference<>();

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final BatchIntake intake;
    private final ConsumerLag lag;

    public BatchIntakeMBean(BatchIntake intake, ConsumerLag lag) {
        this.intake = intake;
        this.lag = lag;
    }

    @Override
    protected void doStart() throws JMException {
        ObjectName name = new ObjectName(NAME);
        if (server.isRegistered(name)) {
            // another ilb in this JVM (tests): the newest one is shown
            server.unregisterMBean(name);
        }
        server.registerMBean(this, name);
        REGISTERED.set(this);
    }

    @Override
    protected void doStop() throws JMException {
        if (REGISTERED.compareAndSet(this, null)) {
            server.unregisterMBean(new ObjectName(NAME));
        }
    }

    @Override
    public long getLag() {
        long sum = 0;
        for (String topic : lag.topics()) {
            long records = lag.lag(topic);
            if (records < 0) {
                return -1;
            }
            sum += records;
        }
        return sum;
    }

    @Override
    public int getInFlight() {
        return intake.inFlight();
    }

    @Override
    public int getLimit() {
        return intake.limit();
    }

    @Override
    public long getResults() {
        return intake.results();
    }

    @Override
    public long getDeadLetters() {
        return intake.deadLetters();
    }

    @Override
    public long getRetries() {
        return intake.retries();
    }

    @Override
    public long getDeferrals() {
        return intake.deferrals();
    }
}
