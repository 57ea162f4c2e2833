package io.jccl.cuda;

import io.jccl.InvalidUsageException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The plan of a host-staged pipeline for device memory, as pure arithmetic (no CUDA, no I/O): how a range
 * of a device buffer is cut into segments, which of the two host staging slots each segment uses, and in
 * which order the copies, sends and receives must be issued and awaited so that the device-to-host copy
 * of segment i+1 overlaps the send of segment i, and the host-to-device copy (and device reduction) of
 * segment i overlaps the receive of segment i+1.
 *
 * <p>Segments: {@code [0, totalBytes)} cut into pieces of {@link #segmentBytes()} bytes (the requested
 * size rounded down to whole elements, at least one element); the last piece may be shorter. Segment i
 * uses staging slot {@code i % }{@link #SLOTS}, so two slots of {@link #slotBytes()} bytes each suffice.
 *
 * <p>Send side ({@link #sendPlan()}), for n segments:
 * <pre>
 *   COPY_TO_HOST(0)
 *   for i in 0..n-1:
 *     AWAIT_COPY_TO_HOST(i)
 *     if i+1 &lt; n:
 *       if i+1 &gt;= 2: AWAIT_SEND(i-1)        slot (i+1)%2 was segment i-1's: its send must be done
 *       COPY_TO_HOST(i+1)                    queued before SEND(i): the copy overlaps the send
 *     SEND(i)
 *   AWAIT_SEND of every send not yet awaited
 * </pre>
 * Receive side ({@link #receivePlan(boolean)}):
 * <pre>
 *   for i in 0..n-1:
 *     if i &gt;= 2: AWAIT_DEVICE(i-2)           slot i%2 (host and device scratch) was segment i-2's
 *     RECV(i)                                into host slot i%2
 *     COPY_TO_DEVICE(i)                      asynchronous, on one stream
 *     REDUCE_ON_DEVICE(i)                    (when reducing) same stream, so after the copy
 *   AWAIT_DEVICE of every segment not yet awaited
 * </pre>
 * This class is the building block of a pipelined device path; today the communicator stages a device
 * buffer whole (see {@link DeviceBuffer}) because comm-core has no per-segment staging hook yet
 * (docs/gpu.md, "What is staged").
 *
 * <p>Immutable; thread-safe.
 */
public final class DeviceStaging {
    /** Host staging slots (double buffering). */
    public static final int SLOTS = 2;

    /** One thing the pipeline does. */
    public enum Action {
        /** Queue the device-to-host copy of a segment into its host slot (asynchronous). */
        COPY_TO_HOST,
        /** Wait until that copy has landed. */
        AWAIT_COPY_TO_HOST,
        /** Hand the segment's host slot to the transport. */
        SEND,
        /** Wait until the transport no longer reads the slot. */
        AWAIT_SEND,
        /** Receive a segment from the network into its host slot. */
        RECV,
        /** Queue the host-to-device copy of the segment (asynchronous, on the pipeline's stream). */
        COPY_TO_DEVICE,
        /** Queue the reduction of the received segment into the destination, on the same stream. */
        REDUCE_ON_DEVICE,
        /** Wait until the segment's device work (copy and reduction) has finished. */
        AWAIT_DEVICE
    }

    /**
     * One segment: bytes {@code [offset, offset + length)} of the range, staged in host slot {@code slot}.
     */
    public record Segment(int index, long offset, long length, int slot) {
    }

    /** One step of a plan. */
    public record Step(Action action, Segment segment) {
        @Override
        public String toString() {
            return action + "(" + segment.index() + ")";
        }
    }

    private final long totalBytes;
    private final long segmentBytes;
    private final int elementBytes;
    private final int segmentCount;

    /**
     * @param totalBytes   bytes to move; a multiple of {@code elementBytes}
     * @param segmentBytes requested segment size; rounded down to whole elements, at least one element
     * @param elementBytes element size (1, 2, 4 or 8)
     * @throws InvalidUsageException if a size is out of range or there would be more than
     *                               {@link Integer#MAX_VALUE} segments
     */
    public DeviceStaging(long totalBytes, long segmentBytes, int elementBytes) {
        if (elementBytes < 1) {
            throw new InvalidUsageException("elementBytes=" + elementBytes + " must be >= 1");
        }
        if (totalBytes < 0 || totalBytes % elementBytes != 0) {
            throw new InvalidUsageException("totalBytes=" + totalBytes + " must be >= 0 and a multiple of elementBytes="
                    + elementBytes);
        }
        if (segmentBytes < 1) {
            throw new InvalidUsageException("segmentBytes=" + segmentBytes + " must be >= 1");
        }
        this.totalBytes = totalBytes;
        this.elementBytes = elementBytes;
        this.segmentBytes = Math.max(elementBytes, segmentBytes - segmentBytes % elementBytes);
        long n = (totalBytes + this.segmentBytes - 1) / this.segmentBytes;
        if (n > Integer.MAX_VALUE) {
            throw new InvalidUsageException(n + " segments of " + this.segmentBytes + " bytes: too many");
        }
        this.segmentCount = (int) n;
    }

    /** Bytes in the range. */
    public long totalBytes() {
        return totalBytes;
    }

    /** Segment size in bytes after rounding to whole elements. */
    public long segmentBytes() {
        return segmentBytes;
    }

    /** Element size in bytes. */
    public int elementBytes() {
        return elementBytes;
    }

    /** Number of segments (0 for an empty range). */
    public int segmentCount() {
        return segmentCount;
    }

    /** Bytes each of the {@link #SLOTS} host staging slots needs: the largest segment. */
    public long slotBytes() {
        return Math.min(segmentBytes, totalBytes);
    }

    /**
     * Segment {@code index}.
     *
     * @throws IndexOutOfBoundsException if {@code index} is outside {@code [0, segmentCount())}
     */
    public Segment segment(int index) {
        if (index < 0 || index >= segmentCount) {
            throw new IndexOutOfBoundsException("segment " + index + " of " + segmentCount);
        }
        long offset = index * segmentBytes;
        return new Segment(index, offset, Math.min(segmentBytes, totalBytes - offset), index % SLOTS);
    }

    /** The send side's steps in issue order (see the class comment). */
    public List<Step> sendPlan() {
        int n = segmentCount;
        List<Step> steps = new ArrayList<>(4 * n);
        if (n == 0) {
            return steps;
        }
        boolean[] sendAwaited = new boolean[n];
        steps.add(new Step(Action.COPY_TO_HOST, segment(0)));
        for (int i = 0; i < n; i++) {
            steps.add(new Step(Action.AWAIT_COPY_TO_HOST, segment(i)));
            if (i + 1 < n) {
                int previous = i + 1 - SLOTS;
                if (previous >= 0) {
                    steps.add(new Step(Action.AWAIT_SEND, segment(previous)));
                    sendAwaited[previous] = true;
                }
                steps.add(new Step(Action.COPY_TO_HOST, segment(i + 1)));
            }
            steps.add(new Step(Action.SEND, segment(i)));
        }
        for (int i = 0; i < n; i++) {
            if (!sendAwaited[i]) {
                steps.add(new Step(Action.AWAIT_SEND, segment(i)));
            }
        }
        return Collections.unmodifiableList(steps);
    }

    /**
     * The receive side's steps in issue order (see the class comment).
     *
     * @param reduce true to reduce each received segment into the destination on the device
     *               ({@link Action#REDUCE_ON_DEVICE}); false to only copy it there
     */
    public List<Step> receivePlan(boolean reduce) {
        int n = segmentCount;
        List<Step> steps = new ArrayList<>(5 * n);
        boolean[] awaited = new boolean[n];
        for (int i = 0; i < n; i++) {
            int previous = i - SLOTS;
            if (previous >= 0) {
                steps.add(new Step(Action.AWAIT_DEVICE, segment(previous)));
                awaited[previous] = true;
            }
            steps.add(new Step(Action.RECV, segment(i)));
            steps.add(new Step(Action.COPY_TO_DEVICE, segment(i)));
            if (reduce) {
                steps.add(new Step(Action.REDUCE_ON_DEVICE, segment(i)));
            }
        }
        for (int i = 0; i < n; i++) {
            if (!awaited[i]) {
                steps.add(new Step(Action.AWAIT_DEVICE, segment(i)));
            }
        }
        return Collections.unmodifiableList(steps);
    }

    @Override
    public String toString() {
        return "DeviceStaging{totalBytes=" + totalBytes + ", segmentBytes=" + segmentBytes + ", segments="
                + segmentCount + "}";
    }
}
