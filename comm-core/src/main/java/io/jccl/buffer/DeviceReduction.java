package io.jccl.buffer;

import io.jccl.DataType;
import io.jccl.ReduceOp;

import java.nio.ByteBuffer;

/**
 * Reduction of a received segment on the device that holds a {@link StagedBuffer}, for
 * {@code JCCL_DEVICE_REDUCE=1} (docs/gpu.md, "Device-side reduction"): the device combines the received bytes with
 * the buffer's own bytes, which the algorithm has not changed, and the result comes back to host memory, where the
 * algorithm forwards it as it would its own reduction. The result must be the bits of
 * {@link io.jccl.reduce.HostReduce} for the same operands in the same order.
 *
 * <p>Threading: called by the thread that runs the operation, one call at a time per buffer.
 */
public interface DeviceReduction {
    /**
     * Computes {@code result[i] = local[i] op received[i]} ({@code received[i] op local[i]} when
     * {@code receivedFirst}) for {@code bytes / type.bytes()} elements, where {@code local} is this buffer's memory
     * from byte {@code localOffset} and {@code received} host memory from absolute index {@code receivedOffset};
     * writes the result into {@code hostDst} at absolute index {@code hostDstOffset}. {@link ReduceOp#AVG} reduces
     * as {@link ReduceOp#SUM} (the caller divides the final sum). Returns when {@code hostDst} holds the result and
     * {@code received} is no longer read. Offsets and {@code bytes} are bytes, multiples of the element size.
     *
     * @return false when this device cannot take these operands (nothing was done: the host reduces), else true
     * @param deadlineNanos {@link System#nanoTime()} deadline of the wait
     * @throws io.jccl.InvalidUsageException when a range is out of bounds or not a whole number of elements
     * @throws io.jccl.CommTimeoutException  when the result is not back by the deadline
     */
    boolean reduceReceived(DataType type, ReduceOp op, long localOffset, ByteBuffer received, int receivedOffset,
                        ByteBuffer hostDst, int hostDstOffset, int bytes, boolean receivedFirst, long deadlineNanos);
}
