package io.jccl.transport;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;

/**
 * What every frame of one operation carries besides its tag: the stream (communicator and traffic
 * class), the operation's sequence number, and the call's shape. Receivers match on (stream, seq, tag)
 * and compare the shape with their own call, so ranks that disagree fail instead of mixing data.
 *
 * <p>Immutable; created once per operation.
 *
 * @param streamId   communicator id, with {@link #P2P_STREAM_BIT} set for point-to-point traffic
 * @param seq        operation number within the stream, from 1
 * @param collective the operation
 * @param type       element type (FLOAT32 for operations without data, such as barrier)
 * @param op         reduction op, or null when the operation does not reduce
 * @param root       root rank, or -1
 * @param count      element count as the operation defines it (per rank for all-gather)
 */
public record OpHeader(long streamId, long seq, Collective collective, DataType type, ReduceOp op, int root,
                       long count) {
    /** Set in the stream id of point-to-point traffic, so it never shifts collective sequence numbers. */
    public static final long P2P_STREAM_BIT = 1L << 63;

    /**
     * A receiver's count that matches any sender's count: a point-to-point receive takes the message whatever
     * its size, reads the sender's count from the frame and fails clearly (after consuming the message) when
     * it differs from its own. Senders always send their real count.
     */
    public static final long ANY_COUNT = -1;

    /** A one-line description for error messages: {@code all_reduce #17 (float32 sum count=1024 root=-1)}. */
    public String describe() {
        return collective.label() + " #" + seq + " (" + type.name().toLowerCase(java.util.Locale.ROOT)
                + (op == null ? "" : " " + op.ncclName()) + " count=" + count
                + (collective.layoutInRoot() ? " layout=" + Integer.toHexString(root) : root >= 0 ? " root=" + root : "")
                + ")";
    }

    /**
     * Which transfer of this operation {@code tag} names, for error messages, with no raw tag number: "phase 1 step 2
     * segment 0" for a collective (the layout of {@code io.jccl.algo.Primitives#tag}: phase in the top 2 bits, step in
     * the next 30, segment in the low 32), "point-to-point tag 7 message 3" for point-to-point traffic, whose user
     * tag and message number are in the sequence number.
     */
    public String describeTag(long tag) {
        long segment = tag & 0xffffffffL;
        if ((streamId & P2P_STREAM_BIT) != 0) {
            return "point-to-point tag " + (seq >>> 32) + " message " + (seq & 0xffffffffL)
                    + (segment == 0 ? "" : " segment " + segment);
        }
        return "phase " + (tag >>> 62) + " step " + ((tag >>> 32) & 0x3fffffffL) + " segment " + segment;
    }

    /**
     * True when {@code other} describes the same call (everything but the stream and seq); this header's count
     * {@link #ANY_COUNT} matches any count.
     */
    public boolean sameCall(Collective c, DataType t, ReduceOp o, int r, long n) {
        return collective == c && type == t && op == o && root == r && (count == n || count == ANY_COUNT);
    }
}
