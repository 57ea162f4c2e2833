package io.jccl.buffer;

/**
 * Memory that collectives read and write: host memory ({@link HostBuffer}) or device memory (comm-cuda).
 * Sizes are in bytes; a collective's count is in elements and must fit in the buffer.
 */
public interface CommBuffer {
    /** Size in bytes. */
    long byteSize();

    /** True when collectives may only read this buffer (a send buffer). */
    boolean isReadOnly();

    /** True once {@code close()} released the memory; a closed buffer is rejected by every collective. */
    boolean isClosed();
}
