package io.jccl.net;

import io.jccl.Knob;
import io.jccl.transport.PeerLink;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Ranks 0 and 1 of a world of 2, each with its own {@link NettyTransport} over loopback, for transport tests. */
final class LoopbackPair {
    private LoopbackPair() {
    }

    /** Starts both transports with {@code knob} set to {@code value} (null: as it is), and clears the knob after. */
    static NettyTransport[] start(Knob knob, String value) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        if (value != null) {
            System.setProperty(knob.propertyName(), value);
        }
        try {
            NettyTransport t0 = NettyTransport.start(0, 2, lo);
            return new NettyTransport[] {t0, NettyTransport.start(1, 2, lo)};
        } finally {
            if (value != null) {
                System.clearProperty(knob.propertyName());
            }
        }
    }

    /** Gives both their addresses and opens {@code stream} between them: {rank 0's link to 1, rank 1's link to 0}. */
    static PeerLink[] link(NettyTransport t0, NettyTransport t1, long stream) {
        InetSocketAddress[] all = {t0.listenAddress(), t1.listenAddress()};
        t0.setPeerAddresses(all);
        t1.setPeerAddresses(all);
        CompletableFuture<PeerLink> l0 = CompletableFuture.supplyAsync(
                () -> t0.link(1, stream, System.nanoTime() + TimeUnit.SECONDS.toNanos(10)), r -> new Thread(r).start());
        PeerLink l1 = t1.link(0, stream, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        return new PeerLink[] {l0.join(), l1};
    }
}
