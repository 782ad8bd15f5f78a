package ilb.discovery;

import java.util.List;
import java.util.concurrent.TimeUnit;

import ilb.DnsServer;
import io.netty.channel.nio.NioEventLoopGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Lookups of A, AAAA and SRV records on a real DNS server (dnsmasq on loopback). */
class DnsLookupTest {

    private static final NioEventLoopGroup LOOP = new NioEventLoopGroup(1);
    private static DnsServer dns;
    private static DnsLookup lookup;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsServer.start(7);
        lookup = new DnsLookup(LOOP.next(), DnsLookup.nameservers(dns.nameserver()), 2000);
    }

    @AfterAll
    static void stop() throws Exception {
        lookup.close();
        dns.close();
        LOOP.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void everyAAndAaaaAddressIsAServerAtTheUrlsPort() throws Exception {
        dns.addresses("both.lookup.test", "127.0.0.2", "127.0.0.3", "fd00::7");

        DnsAnswer answer = lookup.lookup(DnsTarget.of(java.net.URI.create("dns://both.lookup.test:8000"))).get();

        assertThat(answer.servers()).extracting(ServerAddress::hostPort)
                .containsExactlyInAnyOrder("127.0.0.2:8000", "127.0.0.3:8000", "[fd00:0:0:0:0:0:0:7]:8000");
        assertThat(answer.ttlSeconds()).isEqualTo(7);
    }

    @Test
    void eachSrvTargetIsAServerAtItsRecordsPortAndWeight() throws Exception {
        dns.addresses("a.srv.lookup.test", "127.0.0.4");
        dns.addresses("b.srv.lookup.test", "127.0.0.5");
        dns.srv("_http._tcp.srv.lookup.test", new DnsServer.Srv("a.srv.lookup.test", 8001, 10),
                new DnsServer.Srv("b.srv.lookup.test", 8002, 30));

        DnsAnswer answer = lookup.lookup(DnsTarget.of(java.net.URI.create("srv://_http._tcp.srv.lookup.test"))).get();

        assertThat(answer.servers()).containsExactlyInAnyOrder(new ServerAddress("127.0.0.4", 8001, 10),
                new ServerAddress("127.0.0.5", 8002, 30));
    }

    @Test
    void aNameWithoutRecordsFailsTheLookup() {
        assertThatThrownBy(() -> lookup.lookup(DnsTarget.of(java.net.URI.create("dns://unknown.lookup.test:80")))
                .get()).hasMessageContaining("unknown.lookup.test");
    }

    @Test
    void nameserversAreHostsWithAnOptionalPort() {
        assertThat(DnsLookup.nameservers("10.0.0.10, 127.0.0.1:5353,[::1]:53"))
                .extracting(server -> server.getHostString() + "/" + server.getPort())
                .containsExactly("10.0.0.10/53", "127.0.0.1/5353", "0:0:0:0:0:0:0:1/53");
        assertThat(DnsLookup.nameservers(" ")).isEqualTo(List.of());
    }
}
