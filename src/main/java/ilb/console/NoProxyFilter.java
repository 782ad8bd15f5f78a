package ilb.console;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

/**
 * In front of the console's Jolokia: refuses proxy requests ({@link ProxyRequests}) with 403, and hands Jolokia the
 * body it has read. The war's JSR-160 service is off too (HawtioConsole); this makes the refusal explicit instead of
 * Jolokia answering such a request from this JVM as if it came from the target.
 */
final class NoProxyFilter implements Filter {

    private final boolean authenticationEnabled;

    /** @param authenticationEnabled whether the console asks for a login: then only logged-in requests are read */
    NoProxyFilter(boolean authenticationEnabled) {
        this.authenticationEnabled = authenticationEnabled;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest http = (HttpServletRequest) request;
        // it runs before the console's own login check: a body is read only for a request that may be logged in (a
        // session, or credentials the login guard has throttled); the login check refuses the others unread
        if (!"POST".equals(http.getMethod()) || authenticationEnabled && http.getSession(false) == null
                && http.getHeader("Authorization") == null && http.getHeader("X-Jolokia-Authorization") == null) {
            chain.doFilter(request, response);
            return;
        }
        // one byte more than may be taken: enough to tell a body too large, never more
        byte[] body = http.getInputStream().readNBytes(ProxyRequests.MAX_BODY_BYTES + 1);
        if (ProxyRequests.refused(body)) {
            HttpServletResponse refusal = (HttpServletResponse) response;
            refusal.setStatus(HttpServletResponse.SC_FORBIDDEN);
            refusal.setContentType("application/json");
            refusal.getWriter().write(ProxyRequests.REFUSAL);
            return;
        }
        chain.doFilter(new ReadBody(http, body), response);
    }

    /** The request with its body already read. */
    private static final class ReadBody extends HttpServletRequestWrapper {

        private final byte[] body;

        ReadBody(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] bytes, int offset, int length) {
                    return in.read(bytes, offset, length);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException("the body is read already");
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            String encoding = getCharacterEncoding();
            return new BufferedReader(new InputStreamReader(getInputStream(),
                    encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding)));
        }
    }
}
