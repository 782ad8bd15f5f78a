package ilb;

import org.apache.camel.main.Main;

/** Starts the appliance: Camel Main with the routes in {@code routes/} (see application.properties). */
public final class Ilb {

    private Ilb() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main();
        main.configure().addConfiguration(IlbConfiguration.class);
        // on SIGTERM: not ready first, then serve on a while, then let the requests in flight finish (ShutdownDrain)
        main.addMainListener(new ShutdownDrain());
        main.run(args);
    }
}
