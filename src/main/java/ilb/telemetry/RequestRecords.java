package ilb.telemetry;

import ilb.admission.Tenant;
import ilb.inference.ExchangeProperties;
import ilb.inference.InferenceMessage;
import org.apache.camel.Exchange;

/**
 * Makes the {@link RequestRecord} of each request while the access log or tracing is on, and tells both when it
 * ends. With both off, {@link #start} returns null and costs nothing: the entries then gather nothing.
 */
public final class RequestRecords implements RequestRecord.Listener {

    /** Gathers nothing. */
    public static final RequestRecords OFF = new RequestRecords(null, null);

    private final AccessLog accessLog;
    private final Tracing tracing;

    /** @param accessLog null for none; @param tracing null when tracing is off */
    public RequestRecords(AccessLog accessLog, Tracing tracing) {
        this.accessLog = accessLog;
        this.tracing = tracing;
    }

    public boolean enabled() {
        return accessLog != null || tracing != null;
    }

    /**
     * The record of a request that has just arrived, or null when nothing is gathered.
     *
     * @param requestId   the client's {@code x-request-id}, or null
     * @param spanName    the name of its span, if it is traced: low cardinality, never a model name a client chose
     * @param traceparent the client's W3C {@code traceparent}, or null: the parent of its span
     * @param tracestate  the client's {@code tracestate}, or null
     */
    public RequestRecord start(RequestRecord.Entry entry, String requestId, String spanName, String traceparent,
            String tracestate) {
        if (!enabled()) {
            return null;
        }
        RequestTrace trace = tracing == null ? null : tracing.start(entry, spanName, traceparent, tracestate);
        return new RequestRecord(entry, requestId, trace, this);
    }

    @Override
    public void ended(RequestRecord record) {
        if (accessLog != null) {
            accessLog.write(record);
        }
    }

    /** The record an exchange carries, or null. */
    public static RequestRecord of(Exchange exchange) {
        return exchange.getProperty(ExchangeProperties.RECORD, RequestRecord.class);
    }

    /**
     * The client of the exchange is answered {@code answer}: its record, if it has one, takes it, with the tenant, the
     * backend, the attempts and the version the route left on the exchange.
     */
    public static void answered(Exchange exchange, InferenceMessage answer) {
        RequestRecord record = of(exchange);
        if (record == null) {
            return;
        }
        Tenant tenant = exchange.getProperty(ExchangeProperties.TENANT, Tenant.class);
        if (tenant != null) {
            record.tenant(tenant.name());
        }
        record.version(exchange.getProperty(ExchangeProperties.MODEL_VERSION, String.class));
        Integer attempts = exchange.getProperty(ExchangeProperties.ATTEMPTS, Integer.class);
        record.answered(answer, exchange.getProperty(ExchangeProperties.BACKEND, String.class),
                attempts == null ? 0 : attempts);
    }
}
