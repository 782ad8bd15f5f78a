package ilb.discovery;

import java.net.URI;

/**
 * A backend entry that names a service rather than one server: {@code dns://name:port[/path]}, every A and AAAA
 * address of {@code name} a server at {@code port}, or {@code srv://_service._proto.name[/path]}, every target of the
 * SRV records a server at the record's port and weight (a Kubernetes headless Service gives both).
 *
 * @param srv  whether the name is looked up as SRV records (else as A and AAAA records)
 * @param name the name looked up
 * @param port the servers' port; 0 for SRV, whose records give it
 * @param path the base path of each server's url (e.g. {@code /openai}), or empty
 */
public record DnsTarget(boolean srv, String name, int port, String path) {

    /** Whether the url names a service found by DNS. */
    public static boolean names(URI url) {
        return url.getScheme() != null && ("dns".equals(url.getScheme()) || "srv".equals(url.getScheme()));
    }

    /** @throws IllegalArgumentException if the url is not a well-formed {@code dns://} or {@code srv://} url */
    public static DnsTarget of(URI url) {
        // not URI#getHost: SRV names (_http._tcp.name) are no host names
        String authority = url.getRawAuthority();
        if (!names(url) || authority == null || authority.isEmpty()) {
            throw new IllegalArgumentException("a service found by DNS is dns://name:port or srv://_service._proto.name,"
                    + " got " + url);
        }
        boolean srv = "srv".equals(url.getScheme());
        int colon = authority.lastIndexOf(':');
        String name = colon < 0 ? authority : authority.substring(0, colon);
        if (srv && colon >= 0) {
            throw new IllegalArgumentException("srv://" + name + " takes each server's port from its SRV record:"
                    + " write no port");
        }
        int port = colon < 0 ? -1 : parsePort(authority.substring(colon + 1));
        if (!srv && port < 1) {
            throw new IllegalArgumentException("dns://" + name + " needs the servers' port: dns://" + name + ":8000");
        }
        String path = url.getRawPath() == null || url.getRawPath().equals("/") ? "" : url.getRawPath();
        return new DnsTarget(srv, name, srv ? 0 : port, path);
    }

    private static int parsePort(String written) {
        try {
            int port = Integer.parseInt(written);
            return port <= 65535 ? port : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The name the servers' certificates are for: the name looked up, or for SRV the domain the records are under
     * ({@code name} of {@code _service._proto.name}).
     */
    public String serviceName() {
        String service = name;
        while (srv && service.startsWith("_") && service.indexOf('.') > 0) {
            service = service.substring(service.indexOf('.') + 1);
        }
        return service;
    }

    /** The url of one server the name gave, in the scheme its protocol is written with ({@code http}, {@code grpcs}...). */
    public URI serverUrl(String scheme, ServerAddress server) {
        return URI.create(scheme + "://" + server.hostPort() + path);
    }

    @Override
    public String toString() {
        return (srv ? "srv://" + name : "dns://" + name + ":" + port) + path;
    }
}
