package ilb.discovery;

import java.util.List;

/**
 * The servers a name stands for now.
 *
 * @param servers    every server its records give, without duplicates
 * @param ttlSeconds the least time to live of those records: how long the answer may be trusted
 */
public record DnsAnswer(List<ServerAddress> servers, long ttlSeconds) {

    public DnsAnswer {
        servers = List.copyOf(servers);
    }
}
