package ilb;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;

/** What a test starts (simulated and raw backends, the appliance), closed in reverse order. */
public final class Servers implements AutoCloseable {

    private final List<AutoCloseable> started = new ArrayList<>();

    /** A simulated backend serving model {@code m} unless the options name others. */
    public SimulatedBackend backend(SimulatorOptions options) {
        SimulatedBackend server = SimulatedBackend.start(options);
        started.add(server);
        return server;
    }

    /** A fast simulated backend serving model {@code m}. */
    public SimulatedBackend fastBackend() {
        return backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(1));
    }

    /** A backend on a plain socket that answers as the test says ({@link RawBackend}). */
    public RawBackend raw(RawBackend.Answer answer) {
        RawBackend server = RawBackend.start(answer);
        started.add(server);
        return server;
    }

    public Appliance ilb(String routes, String... properties) {
        return ilb(routes, Map.of(), properties);
    }

    /** ilb with beans bound before it configures itself ({@link Appliance#start(String, Map, String...)}). */
    public Appliance ilb(String routes, Map<String, Object> beans, String... properties) {
        Appliance appliance = Appliance.start(routes, beans, properties);
        started.add(appliance);
        return appliance;
    }

    @Override
    public void close() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }
}
