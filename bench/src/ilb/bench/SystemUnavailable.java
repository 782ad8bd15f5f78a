package ilb.bench;

/** A system under test that could not be started (e.g. ilb rejected its policy spec); reported, not fatal. */
final class SystemUnavailable extends Exception {

    SystemUnavailable(String reason) {
        super(reason);
    }
}
