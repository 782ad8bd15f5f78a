package ilb;

import ilb.simulator.SimulatedBackend;

/** Pool route files as an operator writes them, for tests. */
public final class PoolRoute {

    private PoolRoute() {
    }

    /** A route serving {@code model} over the given backends with a selection policy. */
    public static String pool(String model, String policy, String... backends) {
        return route("pool-" + model, "model:" + model, "", policy, backends);
    }

    /**
     * @param steps YAML steps before the balancer, indented like {@code "        - throttle: ...\n"}
     */
    public static String route(String routeId, String from, String steps, String policy, String... backends) {
        return """
                - route:
                    id: %s
                    from:
                      uri: "%s"
                      steps:
                %s        - loadBalance:
                            customLoadBalancer:
                              ref: "%s"
                            steps:
                %s
                """.formatted(routeId, from, steps, policy, String.join("", backends));
    }

    /** A backend endpoint with {@code name: value} parameters besides its url. */
    public static String backend(String id, SimulatedBackend server, String... parameters) {
        return backend(id, server.url(), parameters);
    }

    public static String backend(String id, String url, String... parameters) {
        StringBuilder yaml = new StringBuilder()
                .append("              - to:\n")
                .append("                  uri: \"backend:").append(id).append("\"\n")
                .append("                  parameters:\n")
                .append("                    url: \"").append(url).append("\"\n");
        for (String parameter : parameters) {
            int colon = parameter.indexOf(':');
            yaml.append("                    ").append(parameter, 0, colon).append(": \"")
                    .append(parameter.substring(colon + 1).trim()).append("\"\n");
        }
        return yaml.toString();
    }
}
