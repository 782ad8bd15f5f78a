package ilb.bench;

/** The requests of a load phase, by their index in it; the same index gives the same request for every system. */
@FunctionalInterface
interface Workload {

    ChatRequest request(long index);
}
