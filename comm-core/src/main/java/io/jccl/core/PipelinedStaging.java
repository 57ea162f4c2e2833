package io.jccl.core;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.DeviceReduction;
import io.jccl.buffer.StagedBuffer;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Segment-wise staging of one {@link StagedBuffer} argument through its host staging memory: the plan of
 * docs/gpu.md ("The pipelined path"). The staging memory is cut into units of the segment size; the input's
 * device-to-host copies are queued in the order the algorithm announces its reads ({@link #prefetch}: the ring,
 * tree and hierarchical algorithms announce their reads in step order), and the units not announced on the first read of any of it
 * (starting at the unit read first, then on in address order, wrapping around); a read or send waits only
 * for the units it touches, so the copy of segment i+1 runs under the send of segment i. Output units are queued
 * host-to-device as the algorithm marks them finished ({@link #outputReady}); {@link #finish} queues every unit that was not, or that was written again
 * after it was queued, and waits for all. So the device receives exactly the bytes the host algorithm left in the
 * staging memory: the bits of the host path.
 *
 * <p>Correctness rests on two rules the algorithms keep through {@link io.jccl.algo.OpContext}'s hooks: every
 * read of the staging memory is preceded by {@link #awaitInput}, every write by {@link #willWrite}. A unit queued
 * and then written again is marked dirty and copied again at the end (copies of one direction complete in queue
 * order, so the later copy wins). The two directions run independently (as two copy engines do).
 *
 * <p>Device-side reduction ({@code JCCL_DEVICE_REDUCE}, docs/gpu.md): a received segment whose local operand is
 * input of this slot that the algorithm has not written ({@link #canReduceOnDevice}; tracked per unit, a unit partly
 * written counts as written) is reduced by the buffer's {@link DeviceReduction} from the device's own copy of that
 * input, and the result lands in host memory as the host's reduction would have left it.
 *
 * <p>One per staging slot, kept by the {@link StagingPool} and reused: its arrays grow to the largest call and
 * are not allocated again. Threading: used by the one thread that runs the operation.
 */
final class PipelinedStaging {
    private static final byte NOT_QUEUED = 0;
    private static final byte QUEUED = 1;
    private static final int IN = 0;
    private static final int OUT = 1;

    private StagedBuffer buffer;
    private ByteBuffer memory;
    private long bytes;
    private long unitBytes;
    private int units;
    private boolean input;
    private boolean output;
    private long deadlineNanos;
    /** Ticket of each unit's input copy (valid once {@link #inputIssued}). */
    private long[] inputTicket = new long[0];
    /** Whether each unit's input copy is queued. */
    private boolean[] inputQueued = new boolean[0];
    private byte[] outputState = new byte[0];
    /** Whether the algorithm wrote each unit in this call (its host bytes are no longer the device's input). */
    private boolean[] written = new boolean[0];
    /** The buffer's device reduction for this call, or null: the host reduces. */
    private DeviceReduction reduction;
    private boolean inputIssued;
    /** Per direction (0 device-to-host, 1 host-to-device): highest ticket queued, and highest known complete. */
    private final long[] lastTicket = new long[2];
    private final long[] completed = new long[2];
    private boolean active;

    /** Starts a call: nothing is copied yet. */
    void begin(StagedBuffer buffer, ByteBuffer memory, long bytes, boolean input, boolean output, long unitBytes,
               long deadlineNanos, boolean deviceReduce) {
        this.buffer = buffer;
        this.reduction = deviceReduce && input ? buffer.deviceReduction() : null;
        this.memory = memory;
        this.bytes = bytes;
        this.input = input;
        this.output = output;
        this.unitBytes = Math.max(1, unitBytes);
        this.units = (int) ((bytes + this.unitBytes - 1) / this.unitBytes);
        this.deadlineNanos = deadlineNanos;
        if (inputTicket.length < units) {
            inputTicket = new long[units];
            inputQueued = new boolean[units];
            outputState = new byte[units];
            written = new boolean[units];
        } else {
            Arrays.fill(outputState, 0, units, NOT_QUEUED);
            Arrays.fill(inputQueued, 0, units, false);
            Arrays.fill(written, 0, units, false);
        }
        inputIssued = false;
        Arrays.fill(lastTicket, 0);
        Arrays.fill(completed, 0);
        active = true;
        buffer.stagingBegins();
    }

    /** True while a call uses this slot and {@code m} is its staging memory. */
    boolean holds(ByteBuffer m) {
        return active && m == memory;
    }

    /** Waits until the input bytes {@code [off, off + len)} are in the staging memory (queues the input first). */
    void awaitInput(long off, long len) {
        if (!input || len <= 0 || bytes == 0) {
            return;
        }
        int u0 = unitOf(off);
        int u1 = unitOf(Math.min(bytes, off + len) - 1);
        if (!inputIssued) {
            issueInput(u0);
        }
        long t = 0;
        for (int u = u0; u <= u1; u++) {
            t = Math.max(t, inputTicket[u]);
        }
        await(IN, t);
    }

    /**
     * The algorithm will read {@code [off, off + len)} after the ranges announced before: queues the input copies
     * of its units not queued yet, now, behind the earlier ones.
     */
    void prefetch(long off, long len) {
        if (!input || len <= 0 || bytes == 0 || off >= bytes) {
            return;
        }
        int u1 = unitOf(Math.min(bytes, off + len) - 1);
        for (int u = unitOf(off); u <= u1; u++) {
            queueInput(u);
        }
    }

    /** Before the algorithm writes {@code [off, off + len)}: waits for that input, and marks queued output dirty. */
    void willWrite(long off, long len) {
        if (len <= 0 || bytes == 0) {
            return;
        }
        awaitInput(off, len);
        int u1 = unitOf(Math.min(bytes, off + len) - 1);
        for (int u = unitOf(off); u <= u1; u++) {
            outputState[u] = NOT_QUEUED;
            written[u] = true;
        }
    }

    /**
     * True when the buffer offers a device reduction for this call and the algorithm has written no unit of
     * {@code [off, off + len)}: the device still holds the bytes the host would read there.
     */
    boolean canReduceOnDevice(long off, long len) {
        if (reduction == null || len <= 0 || off < 0 || off + len > bytes) {
            return false;
        }
        int u1 = unitOf(off + len - 1);
        for (int u = unitOf(off); u <= u1; u++) {
            if (written[u]) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code dst = local op received} on the device, local being this slot's input from byte {@code localOff}; false
     * when the device declined (nothing done).
     */
    boolean reduceOnDevice(DataType type, ReduceOp op, long localOff, ByteBuffer received, int receivedIndex,
                        ByteBuffer dst, long dstOff, int len, boolean receivedFirst) {
        return reduction.reduceReceived(type, op, localOff, received, receivedIndex, dst, (int) dstOff, len, receivedFirst,
                deadlineNanos);
    }

    /** The algorithm will not write {@code [off, off + len)} again: queues the units wholly inside it. */
    void outputReady(long off, long len) {
        if (!output || len <= 0) {
            return;
        }
        long end = Math.min(bytes, off + len);
        int first = (int) ((off + unitBytes - 1) / unitBytes);
        int last = end == bytes ? units - 1 : (int) (end / unitBytes) - 1;
        queueOutput(first, last);
    }

    /**
     * Ends the call: queues every output unit not queued (or written since), waits for every copy and tells the
     * buffer the staging ended.
     */
    void finish() {
        try {
            if (input && output && !inputIssued && bytes > 0) {
                // bytes the algorithm never touched go back as they came
                issueInput(0);
            }
            // the units copied back below must hold their input first (in place) and nothing may land after them
            await(IN, lastTicket[IN]);
            if (output) {
                queueOutput(0, units - 1);
            }
            await(OUT, lastTicket[OUT]);
        } finally {
            active = false;
            memory = null;
            reduction = null;
        }
        buffer.stagingEnded();
    }

    /** After a failed call: forgets the buffer (copies still queued complete on their own). */
    void abandon() {
        active = false;
        memory = null;
        buffer = null;
        reduction = null;
    }

    private void queueOutput(int first, int last) {
        int u = first;
        while (u <= last) {
            if (outputState[u] == QUEUED) {
                u++;
                continue;
            }
            int runEnd = u;
            while (runEnd + 1 <= last && outputState[runEnd + 1] != QUEUED) {
                runEnd++;
            }
            long off = u * unitBytes;
            long end = Math.min(bytes, (runEnd + 1) * unitBytes);
            lastTicket[OUT] = Math.max(lastTicket[OUT], buffer.copyFromHostAsync(memory, (int) off, off,
                    (int) (end - off)));
            Arrays.fill(outputState, u, runEnd + 1, QUEUED);
            u = runEnd + 1;
        }
    }

    /** Queues the input copy of every unit not queued yet (not announced), from unit {@code start} on, wrapping. */
    private void issueInput(int start) {
        inputIssued = true;
        for (int i = 0; i < units; i++) {
            queueInput((start + i) % units);
        }
    }

    private void queueInput(int u) {
        if (inputQueued[u]) {
            return;
        }
        inputQueued[u] = true;
        long off = u * unitBytes;
        int len = (int) (Math.min(bytes, off + unitBytes) - off);
        long t = buffer.copyToHostAsync(off, memory, (int) off, len);
        inputTicket[u] = t;
        lastTicket[IN] = Math.max(lastTicket[IN], t);
    }

    private void await(int direction, long ticket) {
        if (ticket > completed[direction]) {
            buffer.awaitCopy(ticket, deadlineNanos);
            completed[direction] = ticket;
        }
    }

    private int unitOf(long off) {
        return (int) (off / unitBytes);
    }
}
