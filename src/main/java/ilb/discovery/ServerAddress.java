package ilb.discovery;

/**
 * One server a DNS answer gave.
 *
 * @param ip     its address, as text (IPv4 or IPv6)
 * @param port   where it listens
 * @param weight its SRV record's weight; 0 when the record gave none (A and AAAA records never do)
 */
public record ServerAddress(String ip, int port, int weight) {

    /** {@code 10.0.0.7:8000}, {@code [fd00::7]:8000}: what names the server among the others. */
    public String hostPort() {
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
    }
}
