package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.HostLayout;
import io.jccl.transport.PeerLink;

import static io.jccl.algo.Partition.chunkCount;
import static io.jccl.algo.Partition.chunkOffset;
import static io.jccl.algo.Partition.mod;

/**
 * Two-level all-reduce over the hosts of {@link OpContext#layout()}: a ring reduce-scatter inside each host, then
 * one ring all-reduce per local rank across the hosts, all running at once, each on its own slice, then a ring
 * all-gather inside each host. This is Horovod's hierarchical all-reduce ({@code HOROVOD_HIERARCHICAL_ALLREDUCE})
 * and the shape of NCCL's per-channel rings, which enter and leave each node once per channel; only the host link
 * carries the cross-host traffic, once per byte instead of the flat ring's (W-1)/W x 2 per rank spread over
 * however many host-crossing hops the ring has.
 *
 * <ul>
 *   <li>Slices: with K = the fewest ranks on any host, the buffer is cut into K slices (chunks of count / K);
 *       local rank j &lt; K of every host owns slice j, and local ranks &ge; K (on hosts with more ranks) own
 *       nothing: they take part in the two phases inside their host only. So uneven hosts work; a host of one
 *       rank makes K = 1 (one ring across hosts, reduce and broadcast inside the others).</li>
 *   <li>Steps: (L-1) inside the host, 2(H-1) across hosts (local rank &lt; K only), (L-1) inside again, with L the
 *       ranks of this host and H the hosts; each run travels as segments, pipelined within a phase.</li>
 *   <li>Bytes per rank of a host of L ranks (n = count x element size): 2 (L-1)/L n on the link inside the host,
 *       2 (H-1)/H n / K across hosts. For 2 hosts x 2 ranks: n across hosts per rank against the flat ring's
 *       1.5 n on the host link.</li>
 *   <li>Cost: 2(L-1) a_i + 2(L-1)/L n b_i + (L-1)/L n g + 2(H-1) a_x + 2(H-1)/H (n/K) b_x + (H-1)/H (n/K) g
 *       ({@code CollectiveCosts.hierarchicalAllReduce}).</li>
 *   <li>Every rank receives the same bits: each slice is finished by its ring across hosts, whose members all
 *       receive the bits the ring made, then copied inside each host. The same (layout, count, segment size) gives
 *       the same bits on every run.</li>
 *   <li>Degenerate cases: W=1 copies; count 0 sends nothing; one host runs the intra-host phases only (a ring
 *       all-reduce); one rank per host runs the cross-host ring only; count &lt; K leaves slices empty.</li>
 * </ul>
 *
 * <p>Tag phases: 0 the reduce-scatter inside the host, 1 and 2 the reduce-scatter and all-gather across hosts, 3
 * the all-gather inside the host (the links inside and across hosts never coincide). Threading: the operation's
 * thread only.
 */
public final class HierarchicalAllReduce {
    private static final int PHASE_INTRA_RS = 0;
    private static final int PHASE_INTER_RS = 1;
    private static final int PHASE_INTER_AG = 2;
    private static final int PHASE_INTRA_AG = 3;

    private HierarchicalAllReduce() {
    }

    /** Runs the all-reduce of {@code count} elements from {@code src} into {@code dst} (the same buffer in place). */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
        if (Steps.withoutPeers(ctx, src, dst, count)) {
            return;
        }
        HostLayout hosts = ctx.layout();
        int r = ctx.rank();
        int host = hosts.host(r);
        int local = hosts.localRank(r);
        int l = hosts.localSize(r);
        int k = hosts.minLocalSize();

        if (l == 1) {
            Steps.copy(ctx, src, 0, dst, 0, count);
        } else {
            intraReduceScatter(ctx, hosts, host, local, l, k, src, dst, count);
        }
        if (local < k) {
            acrossHosts(ctx, hosts, host, local, dst, chunkOffset(count, k, local), chunkCount(count, k, local));
        }
        if (l > 1) {
            intraAllGather(ctx, hosts, host, local, l, k, dst, count);
        }
    }

    /** Offset of the block of ring position {@code pos}: slice pos for pos &lt; K, else (empty) the end. */
    private static long blockOffset(long count, int k, int pos) {
        return pos < k ? chunkOffset(count, k, pos) : count;
    }

    private static long blockCount(long count, int k, int pos) {
        return pos < k ? chunkCount(count, k, pos) : 0;
    }

    /** Ring reduce-scatter over the L ranks of this host: position i ends with block i reduced (no AVG yet). */
    private static void intraReduceScatter(OpContext ctx, HostLayout hosts, int host, int i, int l, int k,
                                           HostBuffer src, HostBuffer dst, long count) {
        PeerLink next = ctx.link(hosts.rankAt(host, mod(i + 1, l)));
        PeerLink prev = ctx.link(hosts.rankAt(host, mod(i - 1, l)));
        Primitives p = ctx.primitives(PHASE_INTRA_RS, prev, next);
        // staged input is read block i-1, i-2, ..., i: its device-to-host copies are queued in that order
        for (int t = 1; t <= l; t++) {
            ctx.prefetch(src, blockOffset(count, k, mod(i - t, l)), blockCount(count, k, mod(i - t, l)));
        }
        int first = mod(i - 1, l);
        p.send(0, src, blockOffset(count, k, first), blockCount(count, k, first));
        for (int t = 0; t < l - 2; t++) {
            int b = mod(i - 2 - t, l);
            p.recvReduceSend(t, t + 1, src, dst, blockOffset(count, k, b), blockCount(count, k, b));
        }
        p.recvReduce(l - 2, src, blockOffset(count, k, i), dst, blockOffset(count, k, i), blockCount(count, k, i),
                false);
        // the all-gather inside the host overwrites blocks sent above (some from src = dst in place)
        p.awaitSent();
    }

    /**
     * Ring all-reduce of {@code dst[at, at+n)} with the ranks of the same local rank on the other hosts, divided for
     * AVG by the world size (the structure of {@link RingAllReduce}, on a slice, reducing in place).
     */
    private static void acrossHosts(OpContext ctx, HostLayout hosts, int host, int local, HostBuffer dst, long at,
                                    long n) {
        int h = hosts.hosts();
        if (h == 1) {
            Steps.finishAvg(ctx, dst, at, n);
            return;
        }
        PeerLink next = ctx.link(hosts.rankAt(mod(host + 1, h), local));
        PeerLink prev = ctx.link(hosts.rankAt(mod(host - 1, h), local));
        Primitives rs = ctx.primitives(PHASE_INTER_RS, prev, next);
        Primitives ag = ctx.primitives(PHASE_INTER_AG, prev, next);
        long[] rsLastTicket = ctx.tickets(h);
        rsLastTicket[0] = rs.send(0, dst, at + chunkOffset(n, h, host), chunkCount(n, h, host));
        for (int s = 0; s < h - 2; s++) {
            int c = mod(host - s - 1, h);
            rsLastTicket[s + 1] = rs.recvReduceSend(s, s + 1, dst, dst, at + chunkOffset(n, h, c), chunkCount(n, h, c));
        }
        int owned = mod(host + 1, h);
        rs.recvReduceCopySend(h - 2, dst, dst, at + chunkOffset(n, h, owned), chunkCount(n, h, owned), ag, 0);
        for (int t = 0; t < h - 1; t++) {
            int c = mod(host - t, h);
            ag.awaitSent(rsLastTicket[t]);
            if (t < h - 2) {
                ag.recvCopySend(t, t + 1, dst, at + chunkOffset(n, h, c), chunkCount(n, h, c));
            } else {
                ag.recv(t, dst, at + chunkOffset(n, h, c), chunkCount(n, h, c));
            }
        }
        ag.awaitSent();
    }

    /** Ring all-gather over the L ranks of this host: position i contributes block i of {@code dst}. */
    private static void intraAllGather(OpContext ctx, HostLayout hosts, int host, int i, int l, int k, HostBuffer dst,
                                       long count) {
        PeerLink next = ctx.link(hosts.rankAt(host, mod(i + 1, l)));
        PeerLink prev = ctx.link(hosts.rankAt(host, mod(i - 1, l)));
        Primitives p = ctx.primitives(PHASE_INTRA_AG, prev, next);
        p.send(0, dst, blockOffset(count, k, i), blockCount(count, k, i));
        for (int t = 0; t < l - 2; t++) {
            int b = mod(i - 1 - t, l);
            p.recvCopySend(t, t + 1, dst, blockOffset(count, k, b), blockCount(count, k, b));
        }
        int last = mod(i + 1, l);
        p.recv(l - 2, dst, blockOffset(count, k, last), blockCount(count, k, last));
        p.awaitSent();
    }
}
