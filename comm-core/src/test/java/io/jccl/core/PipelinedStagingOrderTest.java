package io.jccl.core;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.algo.OpContext;
import io.jccl.algo.RingAllReduce;
import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.SimulatedDeviceBuffer;
import io.jccl.transport.ForwardingLink;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;
import io.jccl.transport.local.LocalFabric;
import io.jccl.transport.local.LocalTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The overlap of the pipelined staging, asserted as an order of events (not a time): a 2-rank ring all-reduce of
 * 64 segments on {@link SimulatedDeviceBuffer}s whose copies take 200 us each. Each rank's log holds, in order,
 * the copies queued and completed (from the buffer) and the sends and receives (from its link). On every rank:
 * the first send comes before the last device-to-host copy completes (the copy of later segments runs under the
 * send of earlier ones); no send leaves before the copies of its bytes completed; the first host-to-device copy is
 * queued before the last device-to-host copy completes (the directions overlap: that copy is held until then, and
 * a staging that waited for all input first would time out); a host-to-device copy is queued
 * before the last segment is received (results go back while the algorithm still runs); and the output is right.
 */
class PipelinedStagingOrderTest {
    private static final int W = 2;
    private static final int SEGMENT = 4096;
    private static final int COUNT = 64 * SEGMENT / 4;

    @Test
    @Timeout(60)
    void copiesOverlapSendsAndReceives() throws Exception {
        LocalFabric fabric = new LocalFabric(W);
        ExecutorService pool = Executors.newFixedThreadPool(W);
        try {
            List<Future<List<String>>> ranks = new ArrayList<>();
            for (int rank = 0; rank < W; rank++) {
                int r = rank;
                ranks.add(pool.submit(() -> runRank(fabric.transport(r), r)));
            }
            for (Future<List<String>> f : ranks) {
                check(f.get(50, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<String> runRank(LocalTransport t, int r) {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        PeerLink[] links = new PeerLink[W];
        OpContext.Links table = (peer, d) -> {
            if (links[peer] == null) {
                links[peer] = new Logging(t.link(peer, 9, d), log);
            }
            return links[peer];
        };
        OpContext.Scratch scratch = HostBuffer::allocate;
        OpHeader header = new OpHeader(9, 1, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, COUNT);
        OpContext ctx = new OpContext(header, r, W, deadline, table, scratch, SEGMENT);
        long bytes = COUNT * 4L;
        try (SimulatedDeviceBuffer dev = new SimulatedDeviceBuffer(bytes, 200_000, 0, true, holdLastCopy(log));
             StagingPool staging = new StagingPool()) {
            for (int i = 0; i < COUNT; i++) {
                dev.memory().putFloat(i * 4, i + r);
            }
            Binding b = Binding.staged(dev, bytes, true, true, 0);
            assertTrue(b.stageIn(staging, SEGMENT, deadline));
            ctx.useStaging(staging);
            RingAllReduce.run(ctx, b.host(), b.host(), COUNT);
            b.stageOut();
            for (int i = 0; i < COUNT; i++) {
                assertEquals(2f * i + 1, dev.memory().getFloat(i * 4), "element " + i);
            }
        }
        synchronized (log) {
            return new ArrayList<>(log);
        }
    }

    private static void check(List<String> log) {
        int firstSend = -1;
        int lastD2h = -1;
        int firstH2dQueued = -1;
        int lastRecv = -1;
        List<long[]> copied = new ArrayList<>();
        for (int i = 0; i < log.size(); i++) {
            String[] e = log.get(i).split(" ");
            switch (e[0]) {
                case "send" -> {
                    firstSend = firstSend < 0 ? i : firstSend;
                    long off = Long.parseLong(e[1]);
                    long end = off + Long.parseLong(e[2]);
                    assertTrue(covered(copied, off, end), "send of bytes [" + off + ", " + end + ") at event " + i
                            + " before their device-to-host copy completed: " + log);
                }
                case "d2h" -> {
                    lastD2h = i;
                    long off = Long.parseLong(e[1]);
                    copied.add(new long[]{off, off + Long.parseLong(e[2])});
                }
                case "recv" -> lastRecv = i;
                case "queued" -> {
                    if (e[1].equals("h2d") && firstH2dQueued < 0) {
                        firstH2dQueued = i;
                    }
                }
                default -> {
                }
            }
        }
        assertTrue(firstSend >= 0 && lastD2h >= 0 && firstH2dQueued >= 0 && lastRecv >= 0, log.toString());
        assertTrue(firstSend < lastD2h, "first send (event " + firstSend + ") should come before the last "
                + "device-to-host copy completes (event " + lastD2h + ")");
        assertTrue(firstH2dQueued < lastRecv, "a host-to-device copy (event " + firstH2dQueued + ") should be "
                + "queued before the last receive (event " + lastRecv + ")");
        // the two directions overlap: output goes back while input still comes in (W = 2: the rank's second chunk
        // is final segment by segment as its input lands). The last device-to-host copy is held until then
        // (holdLastCopy), so this order is not a race: a staging that waited for all input first would time out
        assertTrue(firstH2dQueued < lastD2h, "the first host-to-device copy (event " + firstH2dQueued + ") should "
                + "be queued before the last device-to-host copy completes (event " + lastD2h + ")");
    }

    /**
     * A listener that logs every event, but holds the completion of the last device-to-host copy (the
     * {@code COUNT * 4 / SEGMENT}-th) until a host-to-device copy was queued, 20 s at most (then it logs
     * {@code "held too long"} and lets it complete).
     */
    private static Consumer<String> holdLastCopy(List<String> log) {
        CountDownLatch h2dQueued = new CountDownLatch(1);
        AtomicInteger d2hDone = new AtomicInteger();
        int units = COUNT * 4 / SEGMENT;
        return e -> {
            if (e.startsWith("queued h2d")) {
                // logged before the held copy is let go: else that copy's completion could be logged first
                log.add(e);
                h2dQueued.countDown();
                return;
            } else if (e.startsWith("d2h") && d2hDone.incrementAndGet() == units) {
                try {
                    if (!h2dQueued.await(20, TimeUnit.SECONDS)) {
                        log.add("held too long");
                    }
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                }
            }
            log.add(e);
        };
    }

    private static boolean covered(List<long[]> ranges, long off, long end) {
        long at = off;
        boolean grew = true;
        while (at < end && grew) {
            grew = false;
            for (long[] c : ranges) {
                if (c[0] <= at && at < c[1]) {
                    at = c[1];
                    grew = true;
                }
            }
        }
        return at >= end;
    }

    /** A link that logs each send ({@code send <byte offset> <length>}) and each completed receive. */
    private static final class Logging extends ForwardingLink {
        private final List<String> log;

        Logging(PeerLink link, List<String> log) {
            super(link);
            this.log = log;
        }

        @Override
        public long send(OpHeader header, long tag, ByteBuffer src, int offset, int length) {
            log.add("send " + offset + " " + length);
            return link.send(header, tag, src, offset, length);
        }

        @Override
        public Segment recv(OpHeader header, long tag, long deadlineNanos) {
            Segment s = link.recv(header, tag, deadlineNanos);
            log.add("recv " + s.length());
            return s;
        }
    }
}
