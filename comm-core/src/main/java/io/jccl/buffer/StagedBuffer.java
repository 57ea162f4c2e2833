package io.jccl.buffer;

import java.nio.ByteBuffer;

/**
 * Memory that is not host memory (a GPU buffer from comm-cuda): collectives stage it through host memory.
 * The communicator copies the operation's input range to a host staging buffer, runs the host algorithm
 * and copies the output range back; an implementation may do better by overriding the staging hooks.
 *
 * <p>Pipelined staging: a buffer whose {@link #copiesAsync()} is true is staged segment by segment instead of
 * whole: the communicator queues the input's device-to-host copies with {@link #copyToHostAsync}, the algorithm
 * waits ({@link #awaitCopy}) only for the bytes it is about to read or send, and output bytes are queued back with
 * {@link #copyFromHostAsync} as the algorithm finishes them. Copies of one direction complete in the order they were
 * queued (one in-order queue per direction, as a CUDA stream per copy engine), so a ticket's completion implies
 * that of every earlier ticket of its direction; the two directions may overlap.
 *
 * <p>Threading: the copy methods are called from the thread that runs the operation.
 */
public interface StagedBuffer extends CommBuffer {
    /**
     * Copies {@code length} bytes from byte {@code offset} of this buffer into {@code dst} at absolute
     * index {@code dstOffset}, returning when the bytes are in {@code dst}.
     */
    void copyToHost(long offset, ByteBuffer dst, int dstOffset, int length);

    /**
     * Copies {@code length} bytes of {@code src} from absolute index {@code srcOffset} to byte
     * {@code offset} of this buffer, returning when the copy is complete.
     */
    void copyFromHost(ByteBuffer src, int srcOffset, long offset, int length);

    /**
     * True when this buffer queues copies ({@link #copyToHostAsync}, {@link #copyFromHostAsync}) and the
     * communicator should stage it segment by segment; false (the default): staged whole with the blocking copies.
     */
    default boolean copiesAsync() {
        return false;
    }

    /**
     * Queues a copy of {@code length} bytes from byte {@code offset} into {@code dst} at absolute index
     * {@code dstOffset}; {@code dst} must not be read before {@link #awaitCopy} of the returned ticket.
     *
     * @return a ticket, greater than every earlier device-to-host ticket of this buffer; 0 when the copy is already
     *         complete
     */
    default long copyToHostAsync(long offset, ByteBuffer dst, int dstOffset, int length) {
        copyToHost(offset, dst, dstOffset, length);
        return 0;
    }

    /**
     * Queues a copy of {@code length} bytes of {@code src} from absolute index {@code srcOffset} to byte
     * {@code offset}; the copy reads {@code src} until {@link #awaitCopy} of the returned ticket returns.
     *
     * @return a ticket, greater than every earlier host-to-device ticket of this buffer; 0 when the copy is already
     *         complete
     */
    default long copyFromHostAsync(ByteBuffer src, int srcOffset, long offset, int length) {
        copyFromHost(src, srcOffset, offset, length);
        return 0;
    }

    /**
     * Waits until the copy of {@code ticket} and every copy of the same direction queued before it are complete;
     * returns at once for 0.
     *
     * @param deadlineNanos {@link System#nanoTime()} deadline
     * @throws io.jccl.CommTimeoutException when the copies are not complete by the deadline
     */
    default void awaitCopy(long ticket, long deadlineNanos) {
    }

    /**
     * Called once before the first copy of a collective (on the thread that runs it), so that a buffer bound to a
     * producer's stream can order its copies after the producer's work; the default does nothing.
     */
    default void stagingBegins() {
    }

    /**
     * Called once after the last copy of a collective has completed, so that a buffer bound to a consumer's stream
     * can order the consumer's later work after the copies; the default does nothing.
     */
    default void stagingEnded() {
    }

    /**
     * A host buffer of at least {@code bytes} bytes for staging (pinned memory where the device has it);
     * the communicator keeps it for reuse and closes it when the communicator closes.
     */
    default HostBuffer allocateStaging(long bytes) {
        return HostBuffer.allocate(bytes);
    }

    /**
     * The device-side reduction of received segments into this buffer's staging ({@code JCCL_DEVICE_REDUCE}), or
     * null (the default): received segments are reduced on the host.
     */
    default DeviceReduction deviceReduction() {
        return null;
    }
}
