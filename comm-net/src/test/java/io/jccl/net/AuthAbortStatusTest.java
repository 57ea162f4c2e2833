package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.PeerFailureException;
import io.jccl.ReduceOp;
import io.jccl.net.auth.JobKey;
import io.jccl.net.store.TcpStoreClient;
import io.jccl.net.store.TcpStoreServer;
import io.jccl.net.wire.FrameDescriptor;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Progress;
import io.jccl.transport.Segment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job key on rank connections and the store; ABORT and STATUS control frames. */
@Timeout(60)
@Tag("slow")
class AuthAbortStatusTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private static final OpHeader H = new OpHeader(1, 1, Collective.ALL_REDUCE, DataType.INT8, ReduceOp.SUM, -1, 4);

    private static NettyTransport[] pair(JobKey k0, JobKey k1) {
        NettyTransport t0 = NettyTransport.start(0, 2, LO, k0, 5_000);
        NettyTransport t1 = NettyTransport.start(1, 2, LO, k1, 5_000);
        InetSocketAddress[] all = {t0.listenAddress(), t1.listenAddress()};
        t0.setPeerAddresses(all);
        t1.setPeerAddresses(all);
        return new NettyTransport[] {t0, t1};
    }

    private static long deadline(long ms) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void sameKeyConnectsAndMovesData() throws Exception {
        JobKey k = JobKey.of("s3cret".getBytes(StandardCharsets.UTF_8));
        NettyTransport[] t = pair(k, k);
        try {
            CompletableFuture<Integer> got = CompletableFuture.supplyAsync(() -> {
                Segment s = t[0].link(1, 1, deadline(10_000)).recv(H, 7, deadline(10_000));
                try {
                    return s.length();
                } finally {
                    s.release();
                }
            }, r -> new Thread(r).start());
            PeerLink l = t[1].link(0, 1, deadline(10_000));
            l.send(H, 7, ByteBuffer.allocateDirect(4), 0, 4);
            assertEquals(4, got.get(10, TimeUnit.SECONDS));
        } finally {
            t[1].close();
            t[0].close();
        }
    }

    @Test
    void wrongOrMissingKeyIsRefusedBothWays() {
        JobKey good = JobKey.of("right".getBytes(StandardCharsets.UTF_8));
        for (JobKey bad : new JobKey[] {JobKey.of("wrong".getBytes(StandardCharsets.UTF_8)), JobKey.none()}) {
            for (boolean connectorBad : new boolean[] {true, false}) {
                NettyTransport[] t = connectorBad ? pair(good, bad) : pair(bad, good);
                try {
                    PeerFailureException e = assertThrows(PeerFailureException.class,
                            () -> t[1].link(0, 1, deadline(10_000)));
                    assertTrue(e.getMessage().contains("handshake with peer=0"), e.getMessage());
                } finally {
                    t[1].close();
                    t[0].close();
                }
            }
        }
    }

    @Test
    void aRawConnectionCannotInjectData() throws Exception {
        NettyTransport[] t = pair(JobKey.none(), JobKey.none());
        try (Socket s = new Socket()) {
            s.connect(t[0].listenAddress(), 5_000);
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            byte[] challenge = in.readNBytes(FrameDescriptor.HEADER_BYTES + JobKey.BYTES);
            assertEquals(FrameDescriptor.TYPE_CHALLENGE, challenge[FrameDescriptor.TYPE_OFFSET]);
            ByteBuf frame = Unpooled.buffer();
            FrameDescriptor.writeData(frame, 4, 1, 1, 7, Collective.ALL_REDUCE, DataType.INT8, ReduceOp.SUM, -1, 4);
            frame.writeInt(42);
            OutputStream out = s.getOutputStream();
            out.write(frame.array(), frame.arrayOffset(), frame.readableBytes());
            out.flush();
            frame.release();
            assertEquals(-1, in.read(), "the rank must close a connection that sends data before the handshake");
        }
        try {
            // nothing was delivered: a receive for that frame times out instead of returning it
            assertThrows(io.jccl.CommTimeoutException.class,
                    () -> t[0].link(1, 1, deadline(5_000)).recv(H, 7, deadline(300)));
        } finally {
            t[1].close();
            t[0].close();
        }
    }

    @Test
    void storeRefusesAWrongKey() {
        JobKey k = JobKey.of("store-key".getBytes(StandardCharsets.UTF_8));
        try (TcpStoreServer server = TcpStoreServer.start(new InetSocketAddress("127.0.0.1", 0), k)) {
            InetSocketAddress at = new InetSocketAddress("127.0.0.1", server.port());
            try (TcpStoreClient ok = TcpStoreClient.connect(at, deadline(5_000), k)) {
                ok.set("a", new byte[] {1});
                assertEquals(1, ok.get("a", deadline(1_000))[0]);
            }
            assertThrows(PeerFailureException.class,
                    () -> TcpStoreClient.connect(at, deadline(5_000), JobKey.of("nope".getBytes(StandardCharsets.UTF_8))));
            assertThrows(PeerFailureException.class, () -> TcpStoreClient.connect(at, deadline(5_000), JobKey.none()));
        }
    }

    @Test
    void abortFailsThePeersPendingReceiveWithTheReason() throws Exception {
        NettyTransport[] t = pair(JobKey.none(), JobKey.none());
        try {
            PeerLink l1 = t[1].link(0, 1, deadline(10_000));
            t[0].link(1, 1, deadline(10_000));
            CompletableFuture<Throwable> failed = CompletableFuture.supplyAsync(() -> {
                try {
                    l1.recv(H, 3, deadline(20_000)).release();
                    return null;
                } catch (RuntimeException e) {
                    return e;
                }
            }, r -> new Thread(r).start());
            long t0 = System.nanoTime();
            t[0].abort(1, "mismatched calls on rank=0");
            Throwable e = failed.get(10, TimeUnit.SECONDS);
            assertTrue(e instanceof PeerFailureException, String.valueOf(e));
            assertTrue(e.getMessage().contains("mismatched calls on rank=0"), e.getMessage());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
        } finally {
            t[1].close();
            t[0].close();
        }
    }

    @Test
    void statusQueryReportsThePeersProgress() {
        NettyTransport[] t = pair(JobKey.none(), JobKey.none());
        try {
            t[1].link(0, 1, deadline(10_000));
            t[0].link(1, 1, deadline(10_000));
            t[1].setProgressSource(1, () -> new Progress(1, 16, "idle after all_reduce #16"));
            List<Progress> p = t[0].queryProgress(1, new int[] {0, 1}, TimeUnit.SECONDS.toNanos(5));
            assertEquals(List.of(new Progress(1, 16, "idle after all_reduce #16")), p);
        } finally {
            t[1].close();
            t[0].close();
        }
    }
}
