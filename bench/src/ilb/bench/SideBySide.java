package ilb.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every system of a lineup up at once in front of one shared fleet, so that they can take turns at the same load
 * on the same servers and the same machine state. Systems that cannot start are kept with the reason.
 */
final class SideBySide implements AutoCloseable {

    private final Fleet fleet;
    private final Map<String, Testbed> testbeds = new LinkedHashMap<>();
    private final Map<String, String> unavailable = new LinkedHashMap<>();

    private SideBySide(Fleet fleet) {
        this.fleet = fleet;
    }

    static SideBySide start(List<String> systems, List<BackendSpec> fleetSpecs, Duration timeout,
            BenchSettings settings) {
        SideBySide sideBySide = new SideBySide(Fleet.start(fleetSpecs));
        for (String system : systems) {
            try {
                sideBySide.testbeds.put(system, Testbed.on(sideBySide.fleet, system, timeout, settings));
            } catch (SystemUnavailable e) {
                sideBySide.unavailable.put(system, Scenario.unavailable(e));
            } catch (RuntimeException e) {
                sideBySide.close();
                throw e;
            }
        }
        return sideBySide;
    }

    /** The systems that started, in lineup order. */
    Map<String, Testbed> testbeds() {
        return testbeds;
    }

    /** The systems that did not start, and why. */
    Map<String, String> unavailable() {
        return unavailable;
    }

    @Override
    public void close() {
        testbeds.values().forEach(Testbed::close);
        fleet.close();
    }
}
