package io.jccl.buffer;

import java.nio.ByteBuffer;

/**
 * Memory that is not host memory (a GPU buffer from comm-cuda): collectives stage it through host memory.
 * The communicator copies the operation's input range to a host staging buffer, runs the host algorithm
 * and copies the output range back; an implementation may do better by overriding the staging hooks.
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
     * A host buffer of at least {@code bytes} bytes for staging (pinned memory where the device has it);
     * the communicator keeps it for reuse and closes it when the communicator closes.
     */
    default HostBuffer allocateStaging(long bytes) {
        return HostBuffer.allocate(bytes);
    }
}
