package io.jccl.core;

import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.StagedBuffer;

import java.nio.ByteBuffer;

/**
 * One buffer argument of a call as the algorithm sees it: host memory directly, or a
 * {@link StagedBuffer} copied through a reusable host staging buffer before and after the algorithm.
 *
 * <p>Threading: used by the thread that runs the operation.
 */
final class Binding {
    private final HostBuffer hostBuffer;
    private final StagedBuffer staged;
    private final long bytes;
    private final boolean input;
    private final boolean output;
    private final int slot;
    private ByteBuffer host;

    private Binding(HostBuffer hostBuffer, StagedBuffer staged, long bytes, boolean input, boolean output, int slot) {
        this.hostBuffer = hostBuffer;
        this.staged = staged;
        this.bytes = bytes;
        this.input = input;
        this.output = output;
        this.slot = slot;
        this.host = hostBuffer == null ? null : hostBuffer.unsafeBacking();
    }

    static Binding host(HostBuffer b) {
        return new Binding(b, null, 0, false, false, -1);
    }

    /**
     * A staged buffer: {@code bytes} bytes copied in before the algorithm when {@code input}, and out after
     * it when {@code output}, through staging slot {@code slot}.
     */
    static Binding staged(StagedBuffer b, long bytes, boolean input, boolean output, int slot) {
        return new Binding(null, b, bytes, input, output, slot);
    }

    /** The host memory the algorithm reads and writes; valid after {@link #stageIn}. */
    ByteBuffer host() {
        return host;
    }

    /** Allocates or reuses the staging buffer and copies the input in. */
    void stageIn(StagingPool pool) {
        if (staged == null) {
            return;
        }
        host = pool.get(slot, bytes, staged);
        if (input && bytes > 0) {
            staged.copyToHost(0, host, 0, (int) bytes);
        }
    }

    /** Copies the output back to the staged buffer. */
    void stageOut() {
        if (staged != null && output && bytes > 0) {
            staged.copyFromHost(host, 0, 0, (int) bytes);
        }
    }
}
