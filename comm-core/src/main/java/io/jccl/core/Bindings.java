package io.jccl.core;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;

/**
 * Checks a collective's buffer arguments and binds them ({@link Validation#bind}). A {@link HostBuffer} bound in
 * the same slot (send 0, recv 1) by the last call is bound by the same {@link Binding} again, so that a training
 * loop's calls on the same buffers allocate none.
 *
 * <p>Threading: issuing threads only; a race between two issuers (a misuse that {@link CallIssuer} refuses) at
 * worst replaces an entry, since the entry is checked against the buffer.
 */
final class Bindings {
    private final Binding[] hostBindings = new Binding[2];

    /**
     * @param bytes   the bytes the call reads or writes in {@code buf}
     * @param read    the call reads the buffer; {@code written}: it writes it
     * @throws InvalidUsageException naming {@code what} and {@code name} when the buffer does not fit the call
     */
    Binding bind(String what, String name, CommBuffer buf, long bytes, boolean read, boolean written, int slot) {
        if (buf instanceof HostBuffer h) {
            Validation.checkBuffer(what, name, buf, bytes, written);
            Binding b = hostBindings[slot];
            if (b == null || !b.binds(h)) {
                b = Binding.host(h);
                hostBindings[slot] = b;
            }
            return b;
        }
        return Validation.bind(what, name, buf, bytes, read, written, slot);
    }

    /** Forgets the last calls' buffers, so that this communicator no longer keeps them reachable. */
    void clear() {
        java.util.Arrays.fill(hostBindings, null);
    }

    /**
     * A Java array's element type must be the call's: a float[] read as FLOAT64 would be a wrong answer.
     *
     * @throws InvalidUsageException naming {@code what} when {@code b} holds other elements than {@code type}
     */
    static void checkElementType(String what, Binding b, DataType type) {
        DataType holds = b == null ? null : b.elementType();
        if (holds != null && type != null && holds != type) {
            throw new InvalidUsageException(what + ": a buffer holds " + holds + " elements but the call's type is "
                    + type);
        }
    }
}
