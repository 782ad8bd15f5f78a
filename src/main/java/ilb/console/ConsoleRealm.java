package ilb.console;

import java.util.Map;

import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;

/**
 * The JAAS realm Hawtio logs users in with ({@code hawtio.realm}): the users file, through
 * {@link UsersFileLoginModule} and the realm's {@link PasswordCheck}. Installed JVM-wide, as JAAS has it, for this
 * realm only: every other name is answered by the configuration that was there before (a Kafka client's, say).
 */
final class ConsoleRealm extends Configuration {

    static final String NAME = "ilb-console";

    private final Configuration previous;
    private final AppConfigurationEntry[] entries;

    private ConsoleRealm(Configuration previous, PasswordCheck passwords) {
        this.previous = previous;
        this.entries = new AppConfigurationEntry[] {new AppConfigurationEntry(UsersFileLoginModule.class.getName(),
                AppConfigurationEntry.LoginModuleControlFlag.REQUIRED,
                Map.of(UsersFileLoginModule.CHECK_OPTION, passwords))};
    }

    static ConsoleRealm install(PasswordCheck passwords) {
        ConsoleRealm realm = new ConsoleRealm(current(), passwords);
        Configuration.setConfiguration(realm);
        return realm;
    }

    /** Puts the configuration before this one back, unless another has replaced this one since. */
    void uninstall() {
        if (current() == this) {
            Configuration.setConfiguration(previous);
        }
    }

    @Override
    public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
        if (NAME.equals(name)) {
            return entries.clone();
        }
        return previous == null ? null : previous.getAppConfigurationEntry(name);
    }

    @Override
    public void refresh() {
        if (previous != null) {
            previous.refresh();
        }
    }

    private static Configuration current() {
        try {
            return Configuration.getConfiguration();
        } catch (SecurityException e) {
            // no JAAS configuration file anywhere: nothing to fall back on
            return null;
        }
    }
}
