package ilb.console;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In front of the console: every request that has a password verified (a POST to the login, or credentials in a
 * header, as Jolokia clients send them) asks the {@link LoginThrottle} first, and is answered 429 with Retry-After,
 * unhashed, when refused. Credentials the {@link PasswordCheck} remembers pass without asking. A verified login
 * (2xx from the login or Jolokia) forgives the address its failures.
 */
final class LoginGuard extends Handler.Wrapper {

    private static final Logger LOG = LoggerFactory.getLogger(LoginGuard.class);
    /** Hawtio reads credentials from this header before Authorization. */
    private static final String JOLOKIA_AUTHORIZATION = "X-Jolokia-Authorization";

    private final String login;
    private final String jolokia;
    private final LoginThrottle throttle;
    private final PasswordCheck passwords;

    LoginGuard(String contextPath, LoginThrottle throttle, PasswordCheck passwords, Handler console) {
        super(console);
        this.login = contextPath + "/auth/login";
        this.jolokia = contextPath + "/jolokia";
        this.throttle = throttle;
        this.passwords = passwords;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        String credentials = request.getHeaders().get(JOLOKIA_AUTHORIZATION);
        if (credentials == null) {
            credentials = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        }
        boolean loggingIn = "POST".equals(request.getMethod()) && path.equals(login);
        // only the login and Jolokia verify passwords: credentials sent elsewhere are never looked at
        boolean verifies = loggingIn || credentials != null && (path.equals(jolokia) || path.startsWith(jolokia + "/"));
        if (!verifies || !loggingIn && remembered(credentials)) {
            return super.handle(request, response, callback);
        }
        String address = Request.getRemoteAddr(request);
        LoginThrottle.Decision decision = throttle.admit(address);
        if (!decision.allowed()) {
            if (decision.firstInAWhile()) {
                LOG.warn(decision.reason() == LoginThrottle.Reason.ADDRESS
                        ? "Console: too many failed logins from {}: its attempts are refused (429) for a while"
                        : "Console: more logins a second than ilb.console.loginVerificationsPerSecond (latest from"
                                + " {}): the excess is refused (429)", address);
            }
            refuse(response, decision.retryAfterSeconds(), callback);
            return true;
        }
        String presented = credentials;
        return super.handle(request, response, new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                // forgiven only for a password really verified: a login, or Jolokia credentials the check now
                // remembers (a 2xx on a session cookie alone says nothing of the password presented beside it)
                if (HttpStatus.isSuccess(response.getStatus()) && (loggingIn || remembered(presented))) {
                    throttle.succeeded(address);
                }
                super.succeeded();
            }
        });
    }

    /** Basic credentials the password check has verified lately. */
    private boolean remembered(String credentials) {
        if (credentials == null || !credentials.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(credentials.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        return colon > 0 && passwords.remembers(decoded.substring(0, colon),
                decoded.substring(colon + 1).toCharArray());
    }

    private static void refuse(Response response, long retryAfterSeconds, Callback callback) {
        response.setStatus(HttpStatus.TOO_MANY_REQUESTS_429);
        response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(retryAfterSeconds));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        // its body is not read: the connection is not used again, so no next request lands on one being closed
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        response.write(true, ByteBuffer.wrap(("{\"error\":\"too many login attempts, retry after " + retryAfterSeconds
                + " s\"}").getBytes(StandardCharsets.UTF_8)), callback);
    }
}
