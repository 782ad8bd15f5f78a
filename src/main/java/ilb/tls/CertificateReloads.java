package ilb.tls;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the files of every certificate ilb presents (the API's, the console's, its client certificates for
 * backends) for a change every {@code ilb.tls.reloadInterval}, on a thread of its own (reading files has no place on
 * an event loop), while Camel runs.
 */
public final class CertificateReloads extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateReloads.class);

    private final List<ReloadingKeyManager> keyManagers = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService thread;
    private final long intervalMillis;
    private ScheduledFuture<?> checking;

    public CertificateReloads(ScheduledExecutorService thread, long intervalMillis) {
        if (intervalMillis < 1) {
            throw new IllegalArgumentException("ilb.tls.reloadInterval must be positive");
        }
        this.thread = thread;
        this.intervalMillis = intervalMillis;
    }

    public void add(ReloadingKeyManager keyManager) {
        keyManagers.add(keyManager);
    }

    /** Checks every key manager's files now. */
    public void checkAll() {
        for (ReloadingKeyManager keyManager : keyManagers) {
            try {
                keyManager.check();
            } catch (RuntimeException e) {
                // the thread would not run the check again
                LOG.warn("Checking a certificate for renewal failed", e);
            }
        }
    }

    @Override
    protected void doStart() {
        checking = thread.scheduleWithFixedDelay(this::checkAll, intervalMillis, intervalMillis,
                TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        if (checking != null) {
            checking.cancel(false);
        }
    }
}
