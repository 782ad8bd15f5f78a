package ilb.admission;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ilb.inference.Api;
import ilb.inference.ApiError;
import ilb.inference.ExchangeProperties;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.netty.http.NettyHttpMessage;
import org.apache.camel.spi.PropertiesComponent;

/**
 * The first step of the HTTP entry route: who is calling. A request must carry a tenant's API key
 * ({@code Authorization: Bearer <key>}), else 401. The tenant travels on as an exchange property. Keys are held as
 * SHA-256 hashes and never written anywhere.
 * <p>
 * Tenants are properties: {@code ilb.tenants=a,b}, for each {@code ilb.tenant.<name>.apiKeys} (comma-separated) and
 * the rest of {@link Tenant#fromProperties}.
 */
public final class ApiKeys implements Processor {

    /** Server health stays open to probes (Kubernetes, load balancers in front of ilb). */
    private static final Set<String> OPEN_PATHS = Set.of("/v2/health/live", "/v2/health/ready");

    private final boolean enabled;
    private final Map<String, Tenant> byKeyHash;
    private final List<Tenant> tenants;

    public ApiKeys(boolean enabled, Map<String, Tenant> byKeyHash, List<Tenant> tenants) {
        this.enabled = enabled;
        this.byKeyHash = byKeyHash;
        this.tenants = tenants;
    }

    /** The tenants and keys configured as properties. */
    public static ApiKeys fromProperties(PropertiesComponent properties) {
        boolean enabled = Boolean.parseBoolean(properties.resolveProperty("ilb.auth.enabled").orElse("true"));
        Map<String, Tenant> byKeyHash = new HashMap<>();
        List<Tenant> tenants = new java.util.ArrayList<>();
        for (String name : Tenant.list(properties.resolveProperty("ilb.tenants").orElse(""))) {
            Tenant tenant = Tenant.fromProperties(name, properties);
            tenants.add(tenant);
            for (String key : Tenant.list(properties.resolveProperty("ilb.tenant." + name + ".apiKeys").orElse(""))) {
                if (byKeyHash.put(hash(key), tenant) != null) {
                    throw new IllegalArgumentException("an API key of tenant " + name + " is also another's");
                }
            }
        }
        return new ApiKeys(enabled, byKeyHash, List.copyOf(tenants));
    }

    /** Every tenant configured, with or without keys. */
    public List<Tenant> tenants() {
        return tenants;
    }

    /** Whether requests must carry a tenant's key ({@code ilb.auth.enabled}). */
    public boolean enabled() {
        return enabled;
    }

    /**
     * Whether no tenant has a key. A tenant may still be reached by a Kafka requests topic of its own, when batch
     * jobs run ({@code ilb.batch.RequestTopics}).
     */
    public boolean isEmpty() {
        return byKeyHash.isEmpty();
    }

    /** The Kafka topics tenants have of their own for their batch results. */
    public Set<String> batchResultsTopics() {
        Set<String> topics = new java.util.TreeSet<>();
        tenants.forEach(tenant -> {
            if (tenant.batchResultsTopic() != null) {
                topics.add(tenant.batchResultsTopic());
            }
        });
        return topics;
    }

    @Override
    public void process(Exchange exchange) {
        if (!enabled) {
            exchange.setProperty(ExchangeProperties.TENANT, Tenant.ANYONE);
            return;
        }
        FullHttpRequest request = exchange.getIn(NettyHttpMessage.class).getHttpRequest();
        String path = new QueryStringDecoder(request.uri()).rawPath();
        if (isOpen(path)) {
            return;
        }
        Object admission = identify(request.headers().get("authorization"));
        if (admission instanceof ApiError refusal) {
            exchange.setProperty(ExchangeProperties.API, Api.forPath(path));
            exchange.getMessage().setBody(refusal);
            exchange.setRouteStop(true);
        } else {
            ((Caller) admission).setOn(exchange);
        }
    }

    /**
     * A caller known by its API key: its tenant, and the SHA-256 of its key (null when authentication is off).
     */
    public record Caller(Tenant tenant, String keyHash) {

        /** Puts the caller on an exchange: {@link ExchangeProperties#TENANT} and {@link ExchangeProperties#CALLER}. */
        public void setOn(Exchange exchange) {
            exchange.setProperty(ExchangeProperties.TENANT, tenant);
            if (keyHash != null) {
                exchange.setProperty(ExchangeProperties.CALLER, keyHash);
            }
        }
    }

    /**
     * The {@link Caller} an {@code Authorization} header names, its key hashed once (it finds the tenant, and names
     * the caller to the canary), or the 401 that says why none; anyone when authentication is off.
     *
     * @return a {@link Caller} or an {@link ApiError}
     */
    public Object identify(String authorization) {
        if (!enabled) {
            return new Caller(Tenant.ANYONE, null);
        }
        String keyHash = keyHash(authorization);
        Object admission = tenantOf(keyHash);
        return admission instanceof Tenant tenant ? new Caller(tenant, keyHash) : admission;
    }

    /** Whether a path is open to anyone: server health, for probes. */
    public boolean isOpen(String rawPath) {
        return !enabled || isAlwaysOpen(rawPath);
    }

    /** Whether a path is open to anyone even when API keys are required: server health, for probes. */
    public static boolean isAlwaysOpen(String rawPath) {
        return OPEN_PATHS.contains(rawPath);
    }

    /**
     * The tenant an {@code Authorization} header names, or the 401 that says why none: no key, or a key ilb does not
     * know. Cheap enough to ask before a request's body is read; also for batch jobs, whose Kafka records carry the
     * same header.
     *
     * @return a {@link Tenant} or an {@link ApiError}
     */
    public Object authenticate(String authorization) {
        return enabled ? tenantOf(keyHash(authorization)) : Tenant.ANYONE;
    }

    /** The tenant whose key hashes to {@code keyHash}, or the 401: no key (null), or one ilb does not know. */
    private Object tenantOf(String keyHash) {
        if (keyHash == null) {
            return new ApiError(401, "invalid_request_error", "missing_api_key",
                    "You didn't provide an API key: send it as 'Authorization: Bearer <key>'.", 0);
        }
        Tenant tenant = byKeyHash.get(keyHash);
        if (tenant == null) {
            return new ApiError(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.", 0);
        }
        return tenant;
    }

    /** The SHA-256 of the bearer token an {@code Authorization} header carries, or null when it carries none. */
    private static String keyHash(String authorization) {
        String key = bearerToken(authorization);
        return key == null ? null : hash(key);
    }

    private static String bearerToken(String authorization) {
        String value = authorization == null ? "" : authorization.strip();
        if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = value.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    private static String hash(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
