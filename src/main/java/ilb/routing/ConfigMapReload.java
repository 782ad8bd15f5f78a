package ilb.routing;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Route;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.AntPathMatcher;
import org.apache.camel.util.FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Route reloading for a routes directory that is a Kubernetes ConfigMap volume. There the route files are symlinks
 * ({@code api.yaml -> ..data/api.yaml}) through {@code ..data}, itself a symlink to a timestamped directory holding
 * the real files; an update writes a new timestamped directory and renames a new {@code ..data_tmp} link over
 * {@code ..data}. The {@code *.yaml} entries themselves never change, so Camel's file watcher
 * ({@code camel.main.routesReloadEnabled}: it sees only the directory entries, and skips the ones that are
 * directories) never reloads anything.
 * <p>
 * This watches the same directory for that swap, and then hands every route file whose content changed (or that is
 * new) to Camel's own reload ({@link RouteWatcherReloadStrategy}'s), just as a file edit would: the reload events,
 * logs, and ilb's handling of replaced pools ({@link ModelCatalog}) are the same. The routes of a file gone from the
 * ConfigMap are stopped and removed (Camel's reload only replaces routes). Edits of plain files stay Camel's.
 */
public final class ConfigMapReload extends ServiceSupport implements CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigMapReload.class);
    /** The link Kubernetes' atomic writer renames over to publish a new version of the volume. */
    private static final String DATA_LINK = "..data";

    private final Path directory;
    private final String[] patterns;
    private final AntPathMatcher matcher = new AntPathMatcher();
    /** Each route file's content as last loaded, by its path. */
    private final Map<Path, byte[]> loaded = new HashMap<>();
    private CamelContext context;
    private WatchService watcher;
    private ExecutorService thread;

    /** @param pattern {@code camel.main.routesReloadPattern}: file names, comma-separated, {@code *} wildcards */
    public ConfigMapReload(Path directory, String pattern) {
        this.directory = directory;
        this.patterns = pattern.split(",");
    }

    @Override
    public void setCamelContext(CamelContext context) {
        this.context = context;
    }

    @Override
    public CamelContext getCamelContext() {
        return context;
    }

    @Override
    protected void doStart() throws Exception {
        if (!Files.isDirectory(directory)) {
            return;
        }
        routeFiles().forEach(this::remember);
        watcher = directory.getFileSystem().newWatchService();
        directory.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
        thread = context.getExecutorServiceManager().newSingleThreadExecutor(this, "ilb-configmap-reload");
        thread.submit(this::watch);
    }

    @Override
    protected void doStop() throws Exception {
        if (watcher != null) {
            watcher.close();
        }
        if (thread != null) {
            context.getExecutorServiceManager().shutdown(thread);
        }
    }

    private void watch() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                boolean swapped = false;
                for (WatchEvent<?> event : key.pollEvents()) {
                    Path entry = directory.resolve((Path) event.context());
                    if (entry.getFileName().toString().equals(DATA_LINK)) {
                        swapped = true;
                    } else if (isRouteFile(entry)) {
                        // a file added to the ConfigMap gets its link after the swap: Camel's watcher loads it
                        remember(entry);
                    }
                }
                if (swapped) {
                    reloadChanged();
                }
                if (!key.reset()) {
                    return;
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException stopped) {
            // ilb is stopping
        }
    }

    private void remember(Path file) {
        try {
            loaded.put(file, Files.readAllBytes(file));
        } catch (IOException gone) {
            loaded.remove(file);
        }
    }

    /** Reloads the route files whose content differs from what was loaded, and removes those that are gone. */
    private void reloadChanged() {
        try {
            List<Path> present = routeFiles();
            for (Path file : List.copyOf(loaded.keySet())) {
                if (!present.contains(file)) {
                    remove(file);
                }
            }
            for (Path file : present) {
                byte[] content = Files.readAllBytes(file);
                if (!Arrays.equals(content, loaded.get(file))) {
                    reload(file);
                    loaded.put(file, content);
                }
            }
        } catch (Exception e) {
            // as Camel's own reload does: the routes that ran keep running, and the next change is tried again
            LOG.warn("Reloading routes from {} after its ConfigMap changed failed: {}", directory, e.getMessage(), e);
        }
    }

    private void reload(Path file) throws Exception {
        RouteWatcherReloadStrategy camelReload = context.hasService(RouteWatcherReloadStrategy.class);
        String name = FileUtil.compactPath(file.toString());
        Resource resource = PluginHelper.getResourceLoader(context).resolveResource("file:" + name);
        LOG.info("Route file {} changed in its ConfigMap: reloading it", name);
        camelReload.getResourceReload().onReload(name, resource);
    }

    private void remove(Path file) throws Exception {
        loaded.remove(file);
        Path gone = file.toAbsolutePath().normalize();
        for (Route route : context.getRoutes()) {
            Resource source = route.getSourceResource();
            if (source != null && "file".equals(source.getScheme())
                    && Path.of(source.getLocation().substring("file:".length())).toAbsolutePath().normalize()
                            .equals(gone)) {
                LOG.info("Route file {} left its ConfigMap: removing its route {}", file, route.getRouteId());
                context.getRouteController().stopRoute(route.getRouteId());
                context.removeRoute(route.getRouteId());
            }
        }
    }

    /** The route files there now: matching the pattern, and resolving to a file (a link into a gone version does not). */
    private List<Path> routeFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                if (isRouteFile(entry)) {
                    files.add(entry);
                }
            }
        }
        return files;
    }

    private boolean isRouteFile(Path entry) {
        String name = entry.getFileName().toString();
        return Files.isRegularFile(entry) && Arrays.stream(patterns).anyMatch(p -> matcher.match(p.trim(), name));
    }
}
