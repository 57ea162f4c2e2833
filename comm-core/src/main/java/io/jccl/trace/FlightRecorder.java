package io.jccl.trace;

import io.jccl.Collective;
import io.jccl.transport.OpHeader;

/**
 * A communicator's flight recorder (as PyTorch's NCCL flight recorder): a fixed ring of the last
 * {@code capacity} collective operations, each with its sequence number, collective, type, op, root, count,
 * algorithm and why it was chosen, buffer placement, start and end times, state (queued, running, done, failed),
 * bytes sent and received, and, for the last {@link #PEER_DETAIL} operations, the bytes and the last transfer
 * (phase, step, segment) per peer. It also keeps the running totals that {@link CommMetrics} exposes through JMX.
 * {@link TraceDump} writes it as JSON; {@code bin/jccl-trace} merges the dumps of every rank.
 *
 * <p>Nothing is allocated per operation: every field lives in arrays made once (strings recorded are constants:
 * labels and reasons), except the message of a failed operation.
 *
 * <p>Threading: {@link #queued} runs on the issuing thread, {@link #running}, {@link #sent}, {@link #received}
 * and {@link #ended} on the thread that runs the communicator's operations (one at a time). A dump reads from any
 * thread without locks: a dump taken while an operation runs may show that operation's counters a few transfers
 * behind, which is what a diagnosis needs.
 */
public final class FlightRecorder {
    /** How many of the latest operations keep their per-peer detail (a power of two). */
    public static final int PEER_DETAIL = 16;

    /**
     * "No transfer yet" in the per-peer last-tag arrays: all bits set, a tag no schedule makes (tags carry the phase
     * in their top bits, so a real tag may be negative).
     */
    public static final long NO_TAG = -1L;

    /** An operation's state in the record. */
    public enum State {
        QUEUED, RUNNING, DONE, FAILED;

        /** The state's name in a dump. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final State[] STATES = State.values();
    private static final int COLLECTIVES = Collective.values().length;

    private final int capacity;
    /** The ring's length: {@code capacity} rounded up to a power of two, so that a slot is a mask, not a division. */
    private final int mask;
    private final int size;
    private final long[] seq;
    private final OpHeader[] header;
    private final String[] algorithm;
    private final String[] reason;
    private final String[] placement;
    private final byte[] state;
    private final long[] startNanos;
    private final long[] endNanos;
    private final long[] bytesSent;
    private final long[] bytesReceived;
    private final String[] error;

    // per-peer detail of the latest PEER_DETAIL operations, row (seq mod PEER_DETAIL) * size + peer; an entry counts
    // only where peerSeq holds the operation's seq (reset on the operation's first transfer with that peer, so that
    // starting an operation costs nothing per peer)
    private final long[] peerSeq;
    private final long[] peerSent;
    private final long[] peerReceived;
    private final long[] peerLastSentTag;
    private final long[] peerLastReceivedTag;

    private int runningSlot = -1;
    private long runningSeq;
    private int runningRow;

    private final long[] opsByCollective = new long[COLLECTIVES];
    private final long[] errorsByCollective = new long[COLLECTIVES];
    private final long[] nanosByCollective = new long[COLLECTIVES];
    private final long[] sentToPeer;
    private final long[] receivedFromPeer;

    private final long nanoBase = System.nanoTime();
    private final long epochMicrosBase = System.currentTimeMillis() * 1000;

    /**
     * @param capacity operations kept (at least 1)
     * @param size     the communicator's world size W (peers are communicator ranks)
     */
    public FlightRecorder(int capacity, int size) {
        if (capacity < 1) {
            throw new IllegalArgumentException("flight recorder capacity " + capacity + " must be >= 1");
        }
        if (capacity > 1 << 30) {
            throw new IllegalArgumentException("flight recorder capacity " + capacity + " must be <= 2^30");
        }
        this.capacity = capacity;
        int length = capacity == 1 ? 1 : Integer.highestOneBit(capacity - 1) << 1;
        this.mask = length - 1;
        this.size = size;
        this.seq = new long[length];
        this.header = new OpHeader[length];
        this.algorithm = new String[length];
        this.reason = new String[length];
        this.placement = new String[length];
        this.state = new byte[length];
        this.startNanos = new long[length];
        this.endNanos = new long[length];
        this.bytesSent = new long[length];
        this.bytesReceived = new long[length];
        this.error = new String[length];
        this.peerSeq = new long[PEER_DETAIL * size];
        this.peerSent = new long[PEER_DETAIL * size];
        this.peerReceived = new long[PEER_DETAIL * size];
        this.peerLastSentTag = new long[PEER_DETAIL * size];
        this.peerLastReceivedTag = new long[PEER_DETAIL * size];
        this.sentToPeer = new long[size];
        this.receivedFromPeer = new long[size];
    }

    private int slot(long s) {
        return (int) s & mask;
    }

    private static int detail(long s) {
        return (int) s & (PEER_DETAIL - 1);
    }

    /**
     * An operation got its sequence number.
     *
     * @param algorithm the plan's label; {@code reason} why it was chosen; {@code placement} where its buffers
     *                  live ("host", "staged"); all constants
     */
    public void queued(OpHeader h, String algorithm, String reason, String placement) {
        int i = slot(h.seq());
        seq[i] = h.seq();
        header[i] = h;
        this.algorithm[i] = algorithm;
        this.reason[i] = reason;
        this.placement[i] = placement;
        state[i] = (byte) State.QUEUED.ordinal();
        startNanos[i] = 0;
        endNanos[i] = 0;
        bytesSent[i] = 0;
        bytesReceived[i] = 0;
        if (error[i] != null) {
            error[i] = null;
        }
    }

    /** The operation with {@code s} starts running on this thread at {@code nowNanos} ({@link System#nanoTime()}). */
    public void running(long s, long nowNanos) {
        int i = slot(s);
        startNanos[i] = nowNanos;
        state[i] = (byte) State.RUNNING.ordinal();
        runningSeq = s;
        runningRow = detail(s) * size;
        runningSlot = i;
    }

    /** The running operation's per-peer entry for {@code peer}, reset on its first transfer with that peer. */
    private int peerEntry(int peer) {
        int k = runningRow + peer;
        if (peerSeq[k] != runningSeq) {
            peerSeq[k] = runningSeq;
            peerSent[k] = 0;
            peerReceived[k] = 0;
            peerLastSentTag[k] = NO_TAG;
            peerLastReceivedTag[k] = NO_TAG;
        }
        return k;
    }

    /** The running operation queued {@code bytes} bytes to communicator rank {@code peer} under {@code tag}. */
    public void sent(int peer, long tag, int bytes) {
        int i = runningSlot;
        if (i < 0) {
            return;
        }
        bytesSent[i] += bytes;
        int k = peerEntry(peer);
        peerSent[k] += bytes;
        peerLastSentTag[k] = tag;
        sentToPeer[peer] += bytes;
    }

    /** The running operation received {@code bytes} bytes from communicator rank {@code peer} under {@code tag}. */
    public void received(int peer, long tag, int bytes) {
        int i = runningSlot;
        if (i < 0) {
            return;
        }
        bytesReceived[i] += bytes;
        int k = peerEntry(peer);
        peerReceived[k] += bytes;
        peerLastReceivedTag[k] = tag;
        receivedFromPeer[peer] += bytes;
    }

    /** The operation with {@code s} ended at {@code nowNanos}: done when {@code failure} is null. */
    public void ended(long s, long nowNanos, Throwable failure) {
        int i = slot(s);
        if (seq[i] != s) {
            return;
        }
        endNanos[i] = nowNanos;
        if (startNanos[i] == 0) {
            startNanos[i] = endNanos[i];
        }
        int c = header[i].collective().ordinal();
        opsByCollective[c]++;
        nanosByCollective[c] += endNanos[i] - startNanos[i];
        if (failure != null) {
            errorsByCollective[c]++;
            error[i] = String.valueOf(failure.getMessage());
            state[i] = (byte) State.FAILED.ordinal();
        } else {
            state[i] = (byte) State.DONE.ordinal();
        }
        if (runningSlot == i) {
            runningSlot = -1;
        }
    }

    /** Operations kept at most. */
    public int capacity() {
        return capacity;
    }

    /** The communicator's world size. */
    public int size() {
        return size;
    }

    /** Microseconds since the epoch of a {@link System#nanoTime()} value taken by this recorder. */
    public long epochMicros(long nanos) {
        return epochMicrosBase + (nanos - nanoBase) / 1000;
    }

    /**
     * Visits the kept operations, oldest first.
     */
    public void forEach(EntryVisitor v) {
        long newest = Long.MIN_VALUE;
        for (int i = 0; i <= mask; i++) {
            if (header[i] != null) {
                newest = Math.max(newest, seq[i]);
            }
        }
        if (newest == Long.MIN_VALUE) {
            return;
        }
        for (long s = Math.max(1, newest - capacity + 1); s <= newest; s++) {
            int i = slot(s);
            if (header[i] == null || seq[i] != s) {
                continue;
            }
            long[][] peers = newest - s < PEER_DETAIL ? peerDetail(s) : new long[4][];
            v.visit(new Entry(header[i], algorithm[i], reason[i], placement[i], STATES[state[i]], startNanos[i],
                    endNanos[i], bytesSent[i], bytesReceived[i], error[i], peers[0], peers[1], peers[2], peers[3]));
        }
    }

    /** Operation {@code s}'s bytes sent, received, last tags sent and received, per peer (copies). */
    private long[][] peerDetail(long s) {
        long[][] out = {new long[size], new long[size], new long[size], new long[size]};
        int row = detail(s) * size;
        for (int p = 0; p < size; p++) {
            int k = row + p;
            boolean mine = peerSeq[k] == s;
            out[0][p] = mine ? peerSent[k] : 0;
            out[1][p] = mine ? peerReceived[k] : 0;
            out[2][p] = mine ? peerLastSentTag[k] : NO_TAG;
            out[3][p] = mine ? peerLastReceivedTag[k] : NO_TAG;
        }
        return out;
    }

    /** One kept operation, copied out of the ring. Per-peer arrays are null beyond the latest {@link #PEER_DETAIL}. */
    public record Entry(OpHeader header, String algorithm, String reason, String placement, State state,
                        long startNanos, long endNanos, long bytesSent, long bytesReceived, String error,
                        long[] peerSent, long[] peerReceived, long[] peerLastSentTag, long[] peerLastReceivedTag) {
    }

    /** Receives the kept operations. */
    public interface EntryVisitor {
        void visit(Entry e);
    }

    /** Operations ended, by {@link Collective} ordinal (a copy). */
    public long[] operationsByCollective() {
        return opsByCollective.clone();
    }

    /** Operations failed, by {@link Collective} ordinal (a copy). */
    public long[] errorsByCollective() {
        return errorsByCollective.clone();
    }

    /** Nanoseconds spent running, by {@link Collective} ordinal (a copy). */
    public long[] nanosByCollective() {
        return nanosByCollective.clone();
    }

    /** Bytes sent to each communicator rank since the communicator was made (a copy). */
    public long[] sentToPeer() {
        return sentToPeer.clone();
    }

    /** Bytes received from each communicator rank since the communicator was made (a copy). */
    public long[] receivedFromPeer() {
        return receivedFromPeer.clone();
    }
}
