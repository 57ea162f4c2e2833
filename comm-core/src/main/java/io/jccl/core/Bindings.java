package io.jccl.core;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.buffer.CommBuffer;
import io.jccl.buffer.HostBuffer;

/**
 * Checks a collective's buffer arguments and binds them ({@link Validation#bind}). The {@link Binding}s of the
 * last {@link #KEPT} host buffers bound in each slot (send 0, recv 1) are kept and bound again, so that a training
 * loop's calls on the same buffers (a reducer's buckets and wire segments, in turn) allocate none. Kept buffers stay
 * reachable until a later buffer displaces them or the communicator is closed ({@link #clear}).
 *
 * <p>Threading: issuing threads only; a race between two issuers (a misuse that {@link CallIssuer} refuses) at
 * worst replaces an entry, since the entry is checked against the buffer.
 */
final class Bindings {
    /**
     * Host buffers whose bindings are kept per slot (a power of two): a step's buckets and wire segments, also of
     * several reducers on one communicator (the reducer bench's four formats: 25 buffers).
     */
    static final int KEPT = 32;

    private final Binding[][] hostBindings = new Binding[2][KEPT];
    /** Per slot: the entry of the last buffer found or kept (a buffer used again, or the next in turn, comes first). */
    private final int[] last = new int[2];
    /** Per slot: where the next buffer not found is kept (the oldest kept first). */
    private final int[] victim = new int[2];

    /**
     * @param bytes   the bytes the call reads or writes in {@code buf}
     * @param read    the call reads the buffer; {@code written}: it writes it
     * @throws InvalidUsageException naming {@code what} and {@code name} when the buffer does not fit the call
     */
    Binding bind(String what, String name, CommBuffer buf, long bytes, boolean read, boolean written, int slot) {
        if (buf instanceof HostBuffer h) {
            Validation.checkBuffer(what, name, buf, bytes, written);
            Binding[] kept = hostBindings[slot];
            int at = last[slot];
            for (int k = 0; k < KEPT; k++) { // the last buffer, then the one kept after it, ...
                int i = (at + k) & (KEPT - 1);
                Binding b = kept[i];
                if (b != null && b.binds(h)) {
                    last[slot] = i;
                    return b;
                }
            }
            Binding b = Binding.host(h);
            int v = victim[slot] & (KEPT - 1);
            kept[v] = b;
            victim[slot] = (v + 1) & (KEPT - 1);
            last[slot] = v;
            return b;
        }
        return Validation.bind(what, name, buf, bytes, read, written, slot);
    }

    /** Forgets the last calls' buffers, so that this communicator no longer keeps them reachable. */
    void clear() {
        for (Binding[] kept : hostBindings) {
            java.util.Arrays.fill(kept, null);
        }
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
