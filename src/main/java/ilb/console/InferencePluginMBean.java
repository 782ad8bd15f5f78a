package ilb.console;

/**
 * What Hawtio's plugin servlet ({@code /hawtio/plugin}) reads of a plugin registered as
 * {@code hawtio:type=plugin,name=<name>}: where its module-federation container is and what to call in it. The
 * attribute names are Hawtio's.
 */
public interface InferencePluginMBean {

    /** The folder of the container's script. */
    String getUrl();

    /** The global the script defines. */
    String getScope();

    String getModule();

    String getRemoteEntryFileName();

    /** Whether Hawtio asks for the script anew at each load, so that a new ilb's view is never an old one. */
    boolean isBustRemoteEntryCache();

    /** The module's function that adds the plugin. */
    String getPluginEntry();
}
