package ilb.console;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.component.platform.http.plugin.DefaultJolokiaPlatformHttpPlugin;

/**
 * Camel's Jolokia on the management port ({@code /observe/jolokia}, policy src/main/resources/jolokia-access.xml),
 * with two refusals (403) in front: proxy requests ({@link ProxyRequests}: that Jolokia has no JSR-160 service, and
 * would answer them from this JVM), and any request that carries an {@code Origin}, that is any request a web page
 * makes: the port serves scripts and scrapers, no page. (Jolokia's own {@code <strict-checking/>} would refuse the
 * other way round: every request without an Origin, so every script.) Bound as Camel's {@code jolokia} plugin.
 */
public final class ManagementJolokia extends DefaultJolokiaPlatformHttpPlugin {

    private static final String PAGE_REFUSAL = "{\"status\":403,\"error_type\":\"java.lang.SecurityException\","
            + "\"error\":\"no web page may call this endpoint (a request with an Origin)\"}";

    @Override
    @SuppressWarnings("unchecked")
    public Object getHandler() {
        Handler<RoutingContext> jolokia = (Handler<RoutingContext>) super.getHandler();
        return (Handler<RoutingContext>) context -> {
            if (context.request().getHeader("Origin") != null) {
                refuse(context, PAGE_REFUSAL);
            } else if (isRefusedProxyRequest(context)) {
                refuse(context, ProxyRequests.REFUSAL);
            } else {
                jolokia.handle(context);
            }
        };
    }

    private static void refuse(RoutingContext context, String answer) {
        context.response().setStatusCode(403).putHeader("content-type", "application/json").end(answer);
    }

    private static boolean isRefusedProxyRequest(RoutingContext context) {
        if (!"POST".equals(context.request().method().name())) {
            return false;
        }
        Buffer body = context.body().buffer();
        return body == null || ProxyRequests.refused(body.getBytes());
    }
}
