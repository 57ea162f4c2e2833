package io.jccl.net;

import io.jccl.Collective;
import io.jccl.CommTimeoutException;
import io.jccl.DataType;
import io.jccl.PeerFailureException;
import io.jccl.ReduceOp;
import io.jccl.net.wire.FrameDescriptor;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two {@link NettyTransport}s in this JVM over 127.0.0.1: segments both ways, matching, and peer loss. */
@Timeout(30)
class NettyTransportTest {
    private static final long STREAM = 1;

    private NettyTransport t0;
    private NettyTransport t1;

    @BeforeEach
    void start() {
        InetAddress lo = InetAddress.getLoopbackAddress();
        t0 = NettyTransport.start(0, 2, lo);
        t1 = NettyTransport.start(1, 2, lo);
        InetSocketAddress[] all = {t0.listenAddress(), t1.listenAddress()};
        t0.setPeerAddresses(all);
        t1.setPeerAddresses(all);
    }

    @AfterEach
    void stop() {
        t1.close();
        t0.close();
    }

    /** Each blocking call on its own thread (the common pool may have a single thread on a small machine). */
    private static void onNewThread(Runnable r) {
        Thread t = new Thread(r, "transport-test-waiter");
        t.setDaemon(true);
        t.start();
    }

    private static long deadline(long ms) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    private static OpHeader header(long seq, int count) {
        return new OpHeader(STREAM, seq, Collective.ALL_REDUCE, DataType.INT32, ReduceOp.SUM, -1, count);
    }

    private static ByteBuffer ints(int n, int base) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            b.putInt(4 * i, base + i);
        }
        return b;
    }

    private static void assertInts(Segment s, int n, int base) {
        assertEquals(4 * n, s.length());
        ByteBuffer b = s.buffer();
        for (int i = 0; i < n; i++) {
            assertEquals(base + i, b.getInt(s.offset() + 4 * i), "element " + i);
        }
    }

    /** Links on both sides: rank 1 connects to rank 0 (the higher rank dials), rank 0 awaits its HELLO. */
    private PeerLink[] connect() throws Exception {
        CompletableFuture<PeerLink> l0 =
                CompletableFuture.supplyAsync(() -> t0.link(1, STREAM, deadline(10_000)), NettyTransportTest::onNewThread);
        PeerLink l1 = t1.link(0, STREAM, deadline(10_000));
        return new PeerLink[] {l0.get(10, TimeUnit.SECONDS), l1};
    }

    @Test
    void segmentsFlowBothWaysAndMatchByTag() throws Exception {
        PeerLink[] l = connect();
        assertEquals(1, l[0].peer());
        assertEquals(0, l[1].peer());
        assertTrue(t0.describe().startsWith("tcp ("), "no shared memory enabled: " + t0.describe());
        OpHeader h = header(1, 3000);
        // rank 1 -> rank 0: three tags, received out of order; one segment larger than a socket read
        ByteBuffer big = ints(100_000, 7);
        ByteBuffer small = ints(10, 1000);
        long k1 = l[1].send(h, 11, big, 0, big.capacity());
        long k2 = l[1].send(h, 12, small, 4 * 2, 4 * 5); // a slice from an offset
        long k3 = l[1].send(h, 13, small, 0, 0);         // zero-length
        assertEquals(k1 + 1, k2);
        assertEquals(k2 + 1, k3);
        assertEquals(k3, l[1].lastTicket());
        Segment s13 = l[0].recv(h, 13, deadline(10_000));
        assertEquals(0, s13.length());
        s13.release();
        Segment s12 = l[0].recv(h, 12, deadline(10_000));
        assertInts(s12, 5, 1002);
        assertEquals(h.seq(), s12.seq());
        assertEquals(Collective.ALL_REDUCE, s12.collective());
        assertEquals(DataType.INT32, s12.type());
        assertEquals(ReduceOp.SUM, s12.op());
        assertEquals(3000, s12.count());
        s12.release();
        Segment s11 = l[0].recv(h, 11, deadline(10_000));
        assertInts(s11, 100_000, 7);
        s11.release();
        l[1].awaitSent(k3, deadline(10_000));
        // rank 0 -> rank 1, on the same connection
        ByteBuffer back = ints(64, -50);
        long t = l[0].send(h, 21, back, 0, back.capacity());
        Segment s21 = l[1].recv(h, 21, deadline(10_000));
        assertInts(s21, 64, -50);
        s21.release();
        l[0].awaitSent(t, deadline(10_000));
        // a later operation (seq 2) on the same links
        OpHeader h2 = header(2, 1);
        l[0].send(h2, 21, back, 0, 4);
        Segment later = l[1].recv(h2, 21, deadline(10_000));
        assertInts(later, 1, -50);
        later.release();
    }

    @Test
    void mismatchedCallIsAPeerFailureNamingBothCalls() throws Exception {
        PeerLink[] l = connect();
        OpHeader mine = header(1, 8);
        OpHeader theirs = new OpHeader(STREAM, 1, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, 8);
        ByteBuffer b = ints(8, 0);
        l[1].send(theirs, 5, b, 0, 32);
        PeerFailureException e = assertThrows(PeerFailureException.class, () -> l[0].recv(mine, 5, deadline(10_000)));
        assertTrue(e.getMessage().contains("int32") && e.getMessage().contains("float32"), e.getMessage());
    }

    @Test
    void recvTimesOutNamingThePeer() throws Exception {
        PeerLink[] l = connect();
        long t0 = System.nanoTime();
        CommTimeoutException e = assertThrows(CommTimeoutException.class, () -> l[0].recv(header(1, 1), 99, deadline(200)));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(e.getMessage().contains("peer=1"), e.getMessage());
        assertTrue(ms >= 150 && ms < 3_000, "timed out after " + ms + " ms");
    }

    @Test
    void closingOneSideFailsAPendingRecvOnTheOtherNamingThePeer() throws Exception {
        PeerLink[] l = connect();
        CompletableFuture<Segment> pending = CompletableFuture.supplyAsync(
                () -> l[0].recv(header(1, 1), 1, deadline(20_000)), NettyTransportTest::onNewThread);
        // bounded check that the recv is really pending before the peer goes away
        assertThrows(TimeoutException.class, () -> pending.get(100, TimeUnit.MILLISECONDS));
        long t0 = System.nanoTime();
        t1.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(10, TimeUnit.SECONDS));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        PeerFailureException pf = assertInstanceOf(PeerFailureException.class, e.getCause());
        assertTrue(pf.getMessage().contains("peer=1"), pf.getMessage());
        assertTrue(ms < 5_000, "the recv failed only after " + ms + " ms");
        // and every later operation on that link fails at once
        ByteBuffer b = ints(1, 0);
        assertThrows(PeerFailureException.class, () -> {
            l[0].send(header(2, 1), 1, b, 0, 4);
            l[0].awaitSent(l[0].lastTicket(), deadline(5_000));
        });
        assertThrows(PeerFailureException.class, () -> l[0].recv(header(2, 1), 1, deadline(5_000)));
    }

    /**
     * Sends {@code bytes} from a plain socket to rank 0's listener; true if rank 0 then closes the connection
     * (after its handshake CHALLENGE, which is read and skipped).
     */
    private boolean strangerIsDisconnected(byte[] bytes) throws Exception {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(t0.listenAddress(), 5_000);
            s.setSoTimeout(5_000);
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            try {
                java.io.InputStream in = s.getInputStream();
                byte[] sink = new byte[256];
                while (true) {
                    if (in.read(sink) == -1) {
                        return true;
                    }
                }
            } catch (java.net.SocketTimeoutException e) {
                return false;
            } catch (java.io.IOException e) {
                return true; // reset by rank 0
            }
        }
    }

    @Test
    void garbageAndDataBeforeHelloCloseTheConnectionAndLeaveTheTransportWorking() throws Exception {
        byte[] garbage = new byte[FrameDescriptor.HEADER_BYTES];
        java.util.Arrays.fill(garbage, (byte) 0xff);
        assertTrue(strangerIsDisconnected(garbage), "a connection sending garbage stayed open");
        io.netty.buffer.ByteBuf frame = io.netty.buffer.Unpooled.buffer();
        FrameDescriptor.writeData(frame, 4, STREAM, 1, 1, Collective.ALL_REDUCE, DataType.INT32, ReduceOp.SUM, -1, 1);
        frame.writeInt(7);
        byte[] data = new byte[frame.readableBytes()];
        frame.readBytes(data);
        frame.release();
        assertTrue(strangerIsDisconnected(data), "a connection sending DATA before HELLO stayed open");
        // the real peers still connect and talk
        PeerLink[] l = connect();
        ByteBuffer b = ints(3, 40);
        l[1].send(header(1, 3), 1, b, 0, 12);
        Segment got = l[0].recv(header(1, 3), 1, deadline(10_000));
        assertInts(got, 3, 40);
        got.release();
    }

    @Test
    void linkArgumentsAreChecked() {
        assertThrows(io.jccl.InvalidUsageException.class, () -> t0.link(0, STREAM, deadline(1_000)));
        assertThrows(io.jccl.InvalidUsageException.class, () -> t0.link(2, STREAM, deadline(1_000)));
        assertThrows(io.jccl.InvalidUsageException.class,
                () -> t0.setPeerAddresses(new InetSocketAddress[] {t0.listenAddress()}));
        assertTrue(t0.describePeer(1).endsWith(":" + t1.listenAddress().getPort()), t0.describePeer(1));
    }
}
