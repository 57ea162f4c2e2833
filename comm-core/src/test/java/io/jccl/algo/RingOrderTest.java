package io.jccl.algo;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.HostLayout;
import io.jccl.transport.OpHeader;
import io.jccl.transport.local.LocalFabric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flat rings' order on fake host layouts: rank order when the ranks of each host are consecutive (or the ring
 * crosses hosts only H times anyway), host by host otherwise; and the ring algorithms talk to their ring
 * neighbours only, so an interleaved layout's ring crosses hosts H times. (The values and bits of the rings on an
 * interleaved layout: {@code InterleavedHostsConformanceTest}.)
 */
@Timeout(60)
class RingOrderTest {
    private static List<Integer> order(int... labels) {
        RingOrder ring = RingOrder.of(HostLayout.of(labels));
        List<Integer> out = new ArrayList<>();
        for (int p = 0; p < ring.size(); p++) {
            out.add(ring.rank(p));
            assertEquals(p, ring.position(ring.rank(p)));
        }
        return out;
    }

    @Test
    void rankOrderWhenHostsAreConsecutiveElseHostByHost() {
        assertEquals(List.of(0, 1, 2, 3), order(0, 0, 1, 1));
        assertEquals(List.of(0, 1, 2, 3), order(0, 1, 1, 0)); // crosses twice already
        assertEquals(List.of(0, 1, 2), order(0, 1, 2));
        assertEquals(List.of(0, 1, 2, 3), order(7, 7, 7, 7));
        assertEquals(List.of(0), order(0));
        assertEquals(List.of(0, 2, 1, 3), order(0, 1, 0, 1));
        assertEquals(List.of(0, 3, 1, 4, 2, 5), order(0, 1, 2, 0, 1, 2));
        assertEquals(List.of(0, 2, 4, 1, 3), order(0, 1, 0, 1, 0));
        assertEquals(List.of(0, 3, 1, 4, 6, 2, 5), order(9, 4, 1, 9, 4, 1, 4));
        assertTrue(RingOrder.of(HostLayout.of(0, 0, 1, 1)).isRankOrder());
        assertEquals(2, RingOrder.of(HostLayout.of(0, 1, 0, 1)).crossings(HostLayout.of(0, 1, 0, 1)));
        assertEquals(3, RingOrder.of(HostLayout.of(0, 1, 2, 0, 1, 2, 0)).crossings(HostLayout.of(0, 1, 2, 0, 1, 2, 0)));
        assertEquals(0, RingOrder.of(HostLayout.singleHost(5)).crossings(HostLayout.singleHost(5)));
    }

    /** One rank's run of a ring algorithm on a context whose links record which peers the rank asked for. */
    private interface Body {
        void run(OpContext ctx, int rank, HostBuffer src, HostBuffer dst, long count);
    }

    @Test
    void ringsTalkToTheirRingNeighboursOnlyOnAnInterleavedLayout() throws Exception {
        HostLayout layout = HostLayout.of(0, 1, 2, 0, 1, 2);
        RingOrder ring = RingOrder.of(layout);
        long count = 60;
        for (Body body : List.<Body>of((ctx, r, s, d, n) -> RingAllReduce.run(ctx, s, d, n),
                (ctx, r, s, d, n) -> RingAllGather.run(ctx, s, 0, d, n / layout.size()),
                (ctx, r, s, d, n) -> RingReduceScatter.run(ctx, s, d, 0, n / layout.size()))) {
            List<Result> results = run(layout, count, body);
            List<Set<Integer>> peers = results.stream().map(Result::peers).toList();
            int crossing = 0;
            for (int r = 0; r < layout.size(); r++) {
                int v = ring.position(r);
                assertEquals(new TreeSet<>(List.of(ring.rank(v - 1), ring.rank(v + 1))), peers.get(r), "rank " + r);
                crossing += layout.sameHost(r, ring.rank(v + 1)) ? 0 : 1;
            }
            assertEquals(layout.hosts(), crossing);
        }
    }

    @Test
    void ringAllReduceOnAnInterleavedLayoutGivesEveryRankTheSameBits() throws Exception {
        for (int[] labels : new int[][] {{0, 1, 0, 1}, {0, 1, 2, 0, 1, 2}, {0, 1, 0, 1, 0, 1, 1}}) {
            HostLayout layout = HostLayout.of(labels);
            for (long count : new long[] {1, 3, 7, 61, 200}) {
                List<Result> results = run(layout, count, (ctx, r, s, d, n) -> RingAllReduce.run(ctx, s, d, n));
                for (Result res : results) {
                    assertEquals(results.get(0).bits(), res.bits(), layout + " count " + count);
                }
                float sum = 0; // element 0 is near the sum of the ranks' values (the bits depend on the order)
                for (int r = 0; r < layout.size(); r++) {
                    sum += value(r, 0);
                }
                float got = Float.intBitsToFloat(Integer.parseUnsignedInt(results.get(0).bits().split(" ")[0], 16));
                assertEquals(sum, got, 1e-4f);
            }
        }
    }

    /** A value with a fraction and a sign that differ per rank, so that the order of reduction shows in the bits. */
    private static float value(int rank, int i) {
        return ((rank * 37 + i * 11) % 23 - 11) / 7.0f + rank * 1e-3f;
    }

    /** One rank's peers (the links it asked for) and the bits of its output's first W x count floats. */
    private record Result(Set<Integer> peers, String bits) {
    }

    private static List<Result> run(HostLayout layout, long count, Body body) throws Exception {
        int w = layout.size();
        LocalFabric fabric = new LocalFabric(w, layout);
        ExecutorService pool = Executors.newFixedThreadPool(w);
        try {
            List<Future<Result>> ranks = new ArrayList<>();
            for (int rank = 0; rank < w; rank++) {
                int r = rank;
                ranks.add(pool.submit(() -> {
                    Set<Integer> asked = new TreeSet<>();
                    OpContext.Links links = (peer, deadline) -> {
                        synchronized (asked) {
                            asked.add(peer);
                        }
                        return fabric.transport(r).link(peer, 5, deadline);
                    };
                    HostBuffer[] scratch = new HostBuffer[1];
                    OpContext.Scratch pool1 = bytes -> {
                        if (scratch[0] == null || scratch[0].byteSize() < bytes) {
                            scratch[0] = HostBuffer.allocate(bytes);
                        }
                        return scratch[0];
                    };
                    OpHeader header = new OpHeader(5, 1, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1,
                            count);
                    OpContext ctx = new OpContext(header, r, w, System.nanoTime() + TimeUnit.SECONDS.toNanos(20),
                            links, pool1, 32).withLayout(layout);
                    ByteBuffer src = ByteBuffer.allocateDirect((int) count * 4 * w).order(ByteOrder.nativeOrder());
                    ByteBuffer dst = ByteBuffer.allocateDirect((int) count * 4 * w).order(ByteOrder.nativeOrder());
                    for (int i = 0; i < count * w; i++) {
                        src.putFloat(i * 4, value(r, i));
                    }
                    body.run(ctx, r, HostBuffer.wrap(src), HostBuffer.wrap(dst), count);
                    StringBuilder bits = new StringBuilder();
                    for (int i = 0; i < count * w; i++) {
                        bits.append(Integer.toHexString(dst.getInt(i * 4))).append(' ');
                    }
                    return new Result(asked, bits.toString());
                }));
            }
            List<Result> out = new ArrayList<>();
            for (Future<Result> f : ranks) {
                out.add(f.get(30, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
