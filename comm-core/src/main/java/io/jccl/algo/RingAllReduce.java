package io.jccl.algo;

import io.jccl.buffer.HostBuffer;
import io.jccl.transport.PeerLink;

import static io.jccl.algo.Partition.chunkCount;
import static io.jccl.algo.Partition.chunkOffset;
import static io.jccl.algo.Partition.mod;

/**
 * Ring all-reduce: a reduce-scatter followed by an all-gather around the ring r -> r+1 ({@link RingOrder}: rank order,
 * or host by host when the ranks of a host are not consecutive; r below is the ring position) (Patarasuk and
 * Yuan, "Bandwidth optimal all-reduce algorithms for clusters of workstations", 2009; the algorithm of
 * NCCL's ring and Gloo's {@code allreduce_ring_chunked}).
 *
 * <ul>
 *   <li>Steps: 2(W-1). Reduce-scatter step s sends chunk (r-s) and reduces the received chunk (r-s-1)
 *       into the destination; after W-1 steps rank r owns the reduced chunk (r+1), divides it for AVG and
 *       the all-gather circulates the owned chunks for W-1 more steps.</li>
 *   <li>Each chunk travels as segments of {@code segmentBytes}; a segment is reduced as it arrives and
 *       forwarded at once, so the steps overlap.</li>
 *   <li>Bytes on the wire per rank: 2(W-1)/W x count x elementSize sent and as much received.
 *       Cost: 2(W-1) alpha + 2(W-1)/W n beta + (W-1)/W n gamma.</li>
 *   <li>Each element is reduced in ring order starting from its chunk's first sender, and every rank
 *       receives the same bits.</li>
 *   <li>Degenerate cases: W=1 copies the input; count 0 sends nothing; count &lt; W leaves some chunks
 *       empty (no messages for them).</li>
 * </ul>
 */
public final class RingAllReduce {
    private static final int PHASE_RS = 1;
    private static final int PHASE_AG = 2;

    private RingAllReduce() {
    }

    /**
     * Runs the all-reduce of {@code count} elements from {@code src} into {@code dst} (the same buffer for
     * in-place).
     */
    public static void run(OpContext ctx, HostBuffer src, HostBuffer dst, long count) {
        if (Steps.withoutPeers(ctx, src, dst, count)) {
            return;
        }
        int w = ctx.size();
        RingOrder ring = ctx.ringOrder();
        int r = ring.position(ctx.rank()); // chunks are numbered by ring position
        PeerLink next = ctx.link(ring.rank(r + 1));
        PeerLink prev = ctx.link(ring.rank(r - 1));
        Primitives rs = ctx.primitives(PHASE_RS, prev, next);
        Primitives ag = ctx.primitives(PHASE_AG, prev, next);
        long[] rsLastTicket = ctx.tickets(w);

        // staged input is read chunk r, r-1, ..., r+1: its device-to-host copies are queued in that order
        for (int s = 0; s < w; s++) {
            int c = mod(r - s, w);
            ctx.prefetch(src, chunkOffset(count, w, c), chunkCount(count, w, c));
        }
        // reduce-scatter: step 0 sends our own chunk r from the input; step s reduces chunk (r-s-1) and sends it
        rsLastTicket[0] = rs.send(0, src, chunkOffset(count, w, r), chunkCount(count, w, r));
        for (int s = 0; s < w - 2; s++) {
            int c = mod(r - s - 1, w);
            rsLastTicket[s + 1] = rs.recvReduceSend(s, s + 1, src, dst, chunkOffset(count, w, c),
                    chunkCount(count, w, c));
        }
        // the last step finishes chunk (r+1) and sends it as the all-gather's step 0
        int owned = mod(r + 1, w);
        rs.recvReduceCopySend(w - 2, src, dst, chunkOffset(count, w, owned), chunkCount(count, w, owned), ag, 0);
        // all-gather: step t receives chunk (r-t), which reduce-scatter step t sent: wait for that send
        for (int t = 0; t < w - 1; t++) {
            int c = mod(r - t, w);
            ag.awaitSent(rsLastTicket[t]);
            if (t < w - 2) {
                ag.recvCopySend(t, t + 1, dst, chunkOffset(count, w, c), chunkCount(count, w, c));
            } else {
                ag.recv(t, dst, chunkOffset(count, w, c), chunkCount(count, w, c));
            }
        }
        ag.awaitSent();
    }
}
