package ilb.discovery;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.ReferenceCountUtil;

/**
 * Looks names up with Netty's asynchronous DNS resolver, on one event loop, without caching: each lookup asks the
 * nameservers, so that a server that joins or leaves is seen at the next one. A and AAAA records are read together,
 * and each SRV target's addresses; the answer's time to live is the least of its records'.
 */
public final class DnsLookup implements AutoCloseable {

    private final DnsNameResolver resolver;

    /**
     * @param nameservers where to ask (host:port); empty: the system's ({@code /etc/resolv.conf}), search domains
     *                    and {@code ndots} included
     */
    public DnsLookup(EventLoop loop, List<InetSocketAddress> nameservers, long timeoutMillis) {
        DnsServerAddressStreamProvider servers = nameservers.isEmpty()
                ? DnsServerAddressStreamProviders.platformDefault()
                : new SequentialDnsServerAddressStreamProvider(nameservers.toArray(InetSocketAddress[]::new));
        resolver = new DnsNameResolverBuilder(loop)
                .datagramChannelType(NioDatagramChannel.class)
                // an answer truncated over UDP (many servers) is asked again over TCP, not taken as the whole list
                .socketChannelType(NioSocketChannel.class)
                .nameServerProvider(servers)
                .resolveCache(NoopDnsCache.INSTANCE)
                .queryTimeoutMillis(timeoutMillis)
                .build();
    }

    /** Parses {@code ilb.dns.nameservers}: comma-separated {@code host[:port]} (port 53 if none). */
    public static List<InetSocketAddress> nameservers(String list) {
        List<InetSocketAddress> servers = new ArrayList<>();
        for (String server : list.split(",")) {
            String written = server.strip();
            if (written.isEmpty()) {
                continue;
            }
            int colon = written.lastIndexOf(':');
            boolean hasPort = colon > 0 && written.indexOf(':') == colon || written.startsWith("[") && colon
                    > written.indexOf(']');
            String host = hasPort ? written.substring(0, colon) : written;
            int port = hasPort ? Integer.parseInt(written.substring(colon + 1)) : 53;
            servers.add(new InetSocketAddress(host.replace("[", "").replace("]", ""), port));
        }
        return servers;
    }

    /** The servers the target names now; fails if any query fails or the name has no record at all. */
    public CompletableFuture<DnsAnswer> lookup(DnsTarget target) {
        return target.srv() ? lookupSrv(target.name()) : addresses(target.name(), target.port(), 0);
    }

    private CompletableFuture<DnsAnswer> lookupSrv(String name) {
        return query(name, DnsRecordType.SRV).thenCompose(records -> {
            List<CompletableFuture<DnsAnswer>> targets = new ArrayList<>();
            long ttl = Long.MAX_VALUE;
            for (DnsRecord record : records) {
                try {
                    if (record instanceof DnsRawRecord raw) {
                        ByteBuf content = raw.content().duplicate();
                        content.skipBytes(2);
                        int weight = content.readUnsignedShort();
                        int port = content.readUnsignedShort();
                        String host = DefaultDnsRecordDecoder.decodeName(content);
                        targets.add(addresses(host, port, weight));
                        ttl = Math.min(ttl, record.timeToLive());
                    }
                } finally {
                    ReferenceCountUtil.release(record);
                }
            }
            long srvTtl = ttl;
            return CompletableFuture.allOf(targets.toArray(CompletableFuture[]::new)).thenApply(done -> {
                Map<String, ServerAddress> servers = new LinkedHashMap<>();
                long least = srvTtl;
                for (CompletableFuture<DnsAnswer> each : targets) {
                    DnsAnswer answer = each.join();
                    answer.servers().forEach(server -> servers.putIfAbsent(server.hostPort(), server));
                    least = Math.min(least, answer.ttlSeconds());
                }
                return new DnsAnswer(List.copyOf(servers.values()), least);
            });
        });
    }

    /** Every A and AAAA address of {@code host}, each a server at {@code port}. */
    private CompletableFuture<DnsAnswer> addresses(String host, int port, int weight) {
        CompletableFuture<List<DnsRecord>> v4 = query(host, DnsRecordType.A);
        CompletableFuture<List<DnsRecord>> v6 = query(host, DnsRecordType.AAAA);
        return v4.handle((records, failure) -> failure)
                .thenCombine(v6.handle((records, failure) -> failure), (failedV4, failedV6) -> {
                    List<ServerAddress> servers = new ArrayList<>();
                    long ttl = Long.MAX_VALUE;
                    for (CompletableFuture<List<DnsRecord>> family : List.of(v4, v6)) {
                        if (family.isCompletedExceptionally()) {
                            continue;
                        }
                        for (DnsRecord record : family.join()) {
                            try {
                                if (record instanceof DnsRawRecord raw) {
                                    byte[] ip = new byte[raw.content().readableBytes()];
                                    raw.content().getBytes(raw.content().readerIndex(), ip);
                                    servers.add(new ServerAddress(InetAddress.getByAddress(ip).getHostAddress(), port,
                                            weight));
                                    ttl = Math.min(ttl, record.timeToLive());
                                }
                            } catch (UnknownHostException e) {
                                // not an address of 4 or 16 bytes: not one to use
                            } finally {
                                ReferenceCountUtil.release(record);
                            }
                        }
                    }
                    // a name with only IPv4 (or IPv6) addresses has no record of the other family: only both
                    // failing (or one failing and the other empty) is a failed lookup
                    Throwable failed = failedV4 != null ? failedV4 : failedV6;
                    if (servers.isEmpty() && failed != null || failedV4 != null && failedV6 != null) {
                        throw new IllegalStateException(host + ": " + message(failed), failed);
                    }
                    return new DnsAnswer(servers, ttl == Long.MAX_VALUE ? 0 : ttl);
                });
    }

    private CompletableFuture<List<DnsRecord>> query(String name, DnsRecordType type) {
        CompletableFuture<List<DnsRecord>> records = new CompletableFuture<>();
        resolver.resolveAll(new DefaultDnsQuestion(name, type)).addListener(done -> {
            if (done.isSuccess()) {
                @SuppressWarnings("unchecked")
                List<DnsRecord> answer = (List<DnsRecord>) done.getNow();
                records.complete(answer);
            } else {
                records.completeExceptionally(done.cause());
            }
        });
        return records;
    }

    private static String message(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }

    @Override
    public void close() {
        resolver.close();
    }
}
