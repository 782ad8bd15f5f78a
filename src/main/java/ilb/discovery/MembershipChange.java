package ilb.discovery;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a new DNS answer changes in a group of servers: which join, which leave, and which stay with another weight.
 * A pure function of the members and the answer, each server named by its {@link ServerAddress#hostPort()}.
 *
 * @param joining    servers of the answer that are not members
 * @param reweighted members still in the answer whose record's weight changed
 * @param leaving    members the answer no longer gives, by host and port
 */
public record MembershipChange(List<ServerAddress> joining, List<ServerAddress> reweighted, List<String> leaving) {

    /** @param members the servers the group has now, by host and port */
    public static MembershipChange between(Map<String, ServerAddress> members, DnsAnswer answer) {
        Map<String, ServerAddress> answered = new LinkedHashMap<>();
        answer.servers().forEach(server -> answered.putIfAbsent(server.hostPort(), server));
        List<ServerAddress> joining = new ArrayList<>();
        List<ServerAddress> reweighted = new ArrayList<>();
        answered.forEach((hostPort, server) -> {
            ServerAddress member = members.get(hostPort);
            if (member == null) {
                joining.add(server);
            } else if (member.weight() != server.weight()) {
                reweighted.add(server);
            }
        });
        Set<String> kept = answered.keySet();
        List<String> leaving = members.keySet().stream().filter(hostPort -> !kept.contains(hostPort)).toList();
        return new MembershipChange(List.copyOf(joining), List.copyOf(reweighted), leaving);
    }

    public boolean none() {
        return joining.isEmpty() && reweighted.isEmpty() && leaving.isEmpty();
    }
}
