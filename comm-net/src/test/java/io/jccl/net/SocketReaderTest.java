package io.jccl.net;

import io.jccl.net.tcp.TcpProbe;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.Knob;
import io.jccl.ReduceOp;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Ranks that read their TCP connections themselves while the event loop reads them too: two ranks exchange
 * messages of every size from 0 B to 600 KB on two streams at once (four threads sharing one connection), and every
 * message arrives whole, in its place, with ranks' own reads counted; with {@code JCCL_TCP_SPIN_US=0}, ranks read
 * nothing.
 */
@Timeout(120)
class SocketReaderTest {
    private static final int MESSAGES = 400;

    @ParameterizedTest(name = "rank reads {0}")
    @ValueSource(booleans = {true, false})
    void everyMessageArrivesWholeWhenRanksAndTheEventLoopShareTheSocket(boolean rankReads) throws Exception {
        assumeTrue(Epoll.isAvailable(), "rank reads need the native epoll transport: " + Epoll.unavailabilityCause());
        NettyTransport[] pair = LoopbackPair.start(Knob.TCP_SPIN_US, rankReads ? "auto" : "0");
        NettyTransport t0 = pair[0];
        NettyTransport t1 = pair[1];
        // long enough that most waits end in a rank's own read; the rest go to the event loop, so both read
        t0.setRankReadNanos(TimeUnit.MILLISECONDS.toNanos(1));
        t1.setRankReadNanos(TimeUnit.MILLISECONDS.toNanos(1));
        try {
            InetSocketAddress[] all = {t0.listenAddress(), t1.listenAddress()};
            t0.setPeerAddresses(all);
            t1.setPeerAddresses(all);
            NettyTransport[] t = {t0, t1};
            CompletableFuture<?>[] runs = new CompletableFuture<?>[4];
            for (int i = 0; i < 4; i++) {
                int rank = i % 2;
                long stream = 10 + i / 2;
                runs[i] = CompletableFuture.runAsync(() -> exchange(t[rank], rank, stream), r -> new Thread(r).start());
            }
            CompletableFuture.allOf(runs).get(100, TimeUnit.SECONDS);
            long[] read0 = TcpProbe.rankReadBytes(t0.tcp(), 1);
            long[] read1 = TcpProbe.rankReadBytes(t1.tcp(), 0);
            if (rankReads) {
                assertTrue(read0[0] > 0 && read1[0] > 0, "ranks read " + read0[0] + " and " + read1[0]
                        + " bytes themselves");
                // payloads of up to 600 KB: ranks read the rest of the large ones straight into their buffers
                assertTrue(read0[1] + read1[1] > 0, "ranks read no payload directly (of " + read0[0] + " and "
                        + read1[0] + " bytes)");
            } else {
                assertEquals(0, read0[0] + read1[0]);
            }
        } finally {
            t1.close();
            t0.close();
        }
    }

    @org.junit.jupiter.api.Test
    void aRankReadingItsSocketStillStopsAtTheDeadline() {
        assumeTrue(Epoll.isAvailable(), "rank reads need the native epoll transport: " + Epoll.unavailabilityCause());
        NettyTransport[] pair = LoopbackPair.start(Knob.TCP_SPIN_US, null);
        NettyTransport t0 = pair[0];
        NettyTransport t1 = pair[1];
        try {
            t1.setRankReadNanos(TimeUnit.SECONDS.toNanos(60)); // far beyond the deadline below
            PeerLink l1 = LoopbackPair.link(t0, t1, 1)[1];
            OpHeader h = new OpHeader(1, 1, Collective.ALL_REDUCE, DataType.UINT8, ReduceOp.SUM, -1, 8);
            long start = System.nanoTime();
            org.junit.jupiter.api.Assertions.assertThrows(io.jccl.CommTimeoutException.class,
                    () -> l1.recv(h, 0, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300)));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMs < 5_000, "timed out after " + tookMs + " ms for a 300 ms deadline");
        } finally {
            t1.close();
            t0.close();
        }
    }

    /**
     * While a rank reads its socket the event loop stops watching it; when no rank reads any more (here: a receive
     * that does not read, and so does not ask the event loop back), the event loop watches again by itself and
     * delivers the next message within milliseconds.
     */
    @org.junit.jupiter.api.Test
    void thePausedEventLoopReadsAgainWhenRanksStopReading() {
        assumeTrue(Epoll.isAvailable(), "rank reads need the native epoll transport: " + Epoll.unavailabilityCause());
        NettyTransport[] pair = LoopbackPair.start(Knob.TCP_SPIN_US, "auto");
        NettyTransport t0 = pair[0];
        NettyTransport t1 = pair[1];
        try {
            t1.setRankReadNanos(TimeUnit.SECONDS.toNanos(5)); // rank 1 reads every message itself
            PeerLink[] links = LoopbackPair.link(t0, t1, 1);
            PeerLink l0 = links[0];
            PeerLink l1 = links[1];
            ByteBuffer b = ByteBuffer.allocateDirect(8);
            int seq = 0;
            for (int i = 0; i < 2000 && TcpProbe.eventLoopPauses(t1.tcp(), 0) == 0; i++) {
                OpHeader h = new OpHeader(1, ++seq, Collective.ALL_REDUCE, DataType.UINT8, ReduceOp.SUM, -1, 8);
                CompletableFuture.runAsync(() -> l0.send(h, 0, b, 0, 8), r -> new Thread(r).start());
                l1.recv(h, 0, System.nanoTime() + TimeUnit.SECONDS.toNanos(10)).release();
            }
            assertTrue(TcpProbe.eventLoopPauses(t1.tcp(), 0) > 0, "the event loop paused while rank 1 read");
            t1.setRankReadNanos(0); // from now on rank 1 only waits on its inbox: the event loop must read
            for (int i = 0; i < 20; i++) {
                OpHeader h = new OpHeader(1, ++seq, Collective.ALL_REDUCE, DataType.UINT8, ReduceOp.SUM, -1, 8);
                l0.send(h, 0, b, 0, 8);
                long start = System.nanoTime();
                l1.recv(h, 0, System.nanoTime() + TimeUnit.SECONDS.toNanos(10)).release();
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(ms < 2_000, "message " + i + " took " + ms + " ms to arrive without rank reads");
            }
        } finally {
            t1.close();
            t0.close();
        }
    }

    /**
     * Pauses that follow each other within milliseconds share one resume timer: a timer made per pause was a third
     * of what the event loop allocated per 64 MiB all-reduce. Each round here pauses the event loop (rank 1 reads)
     * and resumes it (rank 1 sleeps on its inbox instead).
     */
    @org.junit.jupiter.api.Test
    void pausesInQuickSuccessionShareOneResumeTimer() {
        assumeTrue(Epoll.isAvailable(), "rank reads need the native epoll transport: " + Epoll.unavailabilityCause());
        NettyTransport[] pair = LoopbackPair.start(Knob.TCP_SPIN_US, "auto");
        NettyTransport t0 = pair[0];
        NettyTransport t1 = pair[1];
        try {
            PeerLink[] links = LoopbackPair.link(t0, t1, 1);
            PeerLink l0 = links[0];
            PeerLink l1 = links[1];
            ByteBuffer b = ByteBuffer.allocateDirect(8);
            int seq = 0;
            int rounds = 10;
            for (int round = 1; round <= rounds; round++) {
                t1.setRankReadNanos(TimeUnit.SECONDS.toNanos(5)); // rank 1 reads: the event loop pauses
                for (int i = 0; i < 2000 && TcpProbe.eventLoopPauses(t1.tcp(), 0) < round; i++) {
                    OpHeader h = new OpHeader(1, ++seq, Collective.ALL_REDUCE, DataType.UINT8, ReduceOp.SUM, -1, 8);
                    l0.send(h, 0, b, 0, 8);
                    l1.recv(h, 0, System.nanoTime() + TimeUnit.SECONDS.toNanos(10)).release();
                }
                assertEquals(round, TcpProbe.eventLoopPauses(t1.tcp(), 0), "pauses after round " + round);
                t1.setRankReadNanos(0); // rank 1 sleeps on its inbox: the event loop resumes and reads
                OpHeader h = new OpHeader(1, ++seq, Collective.ALL_REDUCE, DataType.UINT8, ReduceOp.SUM, -1, 8);
                l0.send(h, 0, b, 0, 8);
                l1.recv(h, 0, System.nanoTime() + TimeUnit.SECONDS.toNanos(10)).release();
            }
            // one timer, or a few where this machine stalled a round for 100 ms (the timer stops after that long)
            long timers = TcpProbe.resumeTimers(t1.tcp(), 0);
            assertTrue(timers >= 1 && timers <= 3, rounds + " pauses started " + timers + " resume timers");
        } finally {
            t1.close();
            t0.close();
        }
    }

    /** Sends message i and receives the peer's message i, for every i; checks each byte received. */
    private static void exchange(NettyTransport t, int rank, long stream) {
        PeerLink link = t.link(1 - rank, stream, System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
        Random sizes = new Random(stream);
        ByteBuffer src = ByteBuffer.allocateDirect(600_000);
        for (int i = 0; i < MESSAGES; i++) {
            int n = sizes.nextInt(8) == 0 ? sizes.nextInt(600_000) : sizes.nextInt(2_000);
            OpHeader h = new OpHeader(stream, i + 1, Collective.ALL_REDUCE, DataType.UINT8, ReduceOp.SUM, -1, n);
            for (int b = 0; b < n; b++) {
                src.put(b, pattern(rank, stream, i, b));
            }
            long ticket = link.send(h, 5, src, 0, n);
            Segment s = link.recv(h, 5, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            try {
                assertEquals(n, s.length(), "message " + i + " on stream " + stream);
                for (int b = 0; b < n; b++) {
                    if (s.buffer().get(s.offset() + b) != pattern(1 - rank, stream, i, b)) {
                        throw new AssertionError("rank " + rank + " stream " + stream + " message " + i + " byte " + b);
                    }
                }
            } finally {
                s.release();
            }
            link.awaitSent(ticket, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        }
    }

    private static byte pattern(int rank, long stream, int i, int b) {
        return (byte) (rank * 31 + stream * 7 + i * 13 + b);
    }
}
