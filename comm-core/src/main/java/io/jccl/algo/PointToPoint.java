package io.jccl.algo;

import io.jccl.PeerFailureException;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;

/**
 * Tagged point-to-point messages between two ranks ({@code Communicator.send/recv}). A message is one run of
 * segments on the communicator's point-to-point stream ({@code OpHeader.P2P_STREAM_BIT} set in the stream id),
 * whose sequence number the communicator derives from (user tag, message number on that tag), so messages
 * never consume or shift the sequence numbers that collectives match on, and the i-th send to a peer on a tag
 * matches that peer's i-th receive on it. An empty message is one empty frame (it must still match).
 *
 * <ul>
 *   <li>Cost: alpha + n beta (segments pipelined).</li>
 *   <li>The sender's header carries the message's element count and type. A receive takes the first frame
 *       whatever its count ({@link OpHeader#ANY_COUNT}); if the count differs it consumes the message and fails
 *       naming both counts. A different type fails at the first frame, naming both types (that message is
 *       left unconsumed).</li>
 * </ul>
 */
public final class PointToPoint {
    private static final int PHASE = 1;

    private PointToPoint() {
    }

    /**
     * Queues {@code count} elements of {@code src} to {@code link}'s peer and returns the ticket of the last
     * frame (await it with {@link PeerLink#awaitSent}).
     */
    public static long send(OpContext ctx, PeerLink link, HostBuffer src, long count) {
        if (count == 0) {
            return Segments.sendEmpty(ctx.header(), link, Primitives.tag(PHASE, 0, 0));
        }
        return Segments.sendRun(ctx, ctx.header(), link, Primitives.tag(PHASE, 0, 0), src, 0, count);
    }

    /**
     * Receives the message into {@code dst}, which holds {@code count} elements. The context's header must
     * carry {@link OpHeader#ANY_COUNT}: the first frame is taken whatever the sender's count, and when that count
     * differs from {@code count} the whole message is consumed (so the sender's send completes and later
     * messages stay in step) and the receive fails naming both counts.
     *
     * @throws PeerFailureException when the sender's count differs; nothing is written to {@code dst} then
     */
    public static void recv(OpContext ctx, PeerLink link, HostBuffer dst, long count) {
        int se = ctx.segmentElements();
        int eb = ctx.type().bytes();
        Segment first = link.recv(ctx.header(), Primitives.tag(PHASE, 0, 0), ctx.deadlineNanos());
        long sent = first.count();
        if (sent != count) {
            first.release();
            for (int k = 1, ns = Partition.segments(sent, se); k < ns; k++) {
                link.recv(ctx.header(), Primitives.tag(PHASE, 0, k), ctx.deadlineNanos()).release();
            }
            throw new PeerFailureException("rank=" + ctx.rank() + " " + ctx.header().collective().label()
                    + " from peer=" + link.peer() + ": the message has count=" + sent + " "
                    + ctx.type().name().toLowerCase(java.util.Locale.ROOT) + " elements but the receive expects count="
                    + count + " (the message was consumed)");
        }
        try {
            if (count > 0) {
                int m = Partition.segmentCount(count, se, 0);
                Segments.checkLength(ctx, link, first, m * eb);
                Segments.copyPayload(first, dst, 0);
            }
        } finally {
            first.release();
        }
        for (int k = 1, ns = Partition.segments(count, se); k < ns; k++) {
            Segments.recvCopy(ctx, ctx.header(), link, Primitives.tag(PHASE, 0, k), dst, (long) k * se,
                    Partition.segmentCount(count, se, k));
        }
    }
}
