package io.jccl.cuda;

import io.jccl.CommTimeoutException;
import io.jccl.InvalidUsageException;

import java.util.concurrent.locks.LockSupport;

/**
 * The tickets of one direction's asynchronous copies ({@link CopyLanes}), kept in a ring of event slots: copy
 * {@code n} (from 1) records its completion in slot {@code (n - 1) % slots}. The stream completes copies in queue
 * order, so a slot recorded again by a later copy still answers for the earlier ones: waiting for a ticket whose
 * slot now holds a later copy waits longer, never too short. No CUDA here: the slots are probed through a
 * {@link Probe}, so the ring and its waits are tested without a GPU.
 *
 * <p>Ticket numbers as {@link io.jccl.buffer.StagedBuffer} sees them: device-to-host copy {@code n} is
 * {@code 2n - 1} (odd), host-to-device copy {@code n} is {@code 2n} (even); 0 is a copy already complete.
 *
 * <p>Threading: thread-safe. A caller that queues a copy holds this ring's monitor from the copy to
 * {@link #commit} (so tickets follow the stream's order); {@link #await} holds it only to read and update state,
 * not while it polls.
 */
final class TicketRing {
    /** Whether a slot's last recorded copy has completed. */
    interface Probe {
        /**
         * True when the copy last recorded in {@code slot} has completed; false while it has not.
         *
         * @throws CudaException when the device reports an error
         */
        boolean done(int slot);
    }

    private static final long SPIN_POLLS = 64;
    private static final long PARK_NANOS = 20_000;

    private final String name;
    private final long[] heldBy;
    private long committed;
    private long completed;

    /**
     * @param name  the direction, for messages ({@code "d2h"}, {@code "h2d"})
     * @param slots number of event slots (at least 1)
     */
    TicketRing(String name, int slots) {
        if (slots < 1) {
            throw new IllegalArgumentException("ticket ring of " + slots + " slots");
        }
        this.name = name;
        this.heldBy = new long[slots];
    }

    /** The device-to-host ticket of copy {@code n} of its direction. */
    static long toHostTicket(long n) {
        return 2 * n - 1;
    }

    /** The host-to-device ticket of copy {@code n} of its direction. */
    static long toDeviceTicket(long n) {
        return 2 * n;
    }

    /** True for a device-to-host ticket (odd). */
    static boolean isToHost(long ticket) {
        return (ticket & 1) == 1;
    }

    /** The copy number of {@code ticket} within its direction. */
    static long copyNumber(long ticket) {
        return (ticket + 1) / 2;
    }

    /** The slot the next copy records its completion in (call while holding this ring's monitor). */
    synchronized int nextSlot() {
        return slotOf(committed + 1);
    }

    /** The next copy was queued and its completion recorded in {@link #nextSlot()}: returns its number. */
    synchronized long commit() {
        committed++;
        heldBy[slotOf(committed)] = committed;
        return committed;
    }

    /** Number of copies committed so far. */
    synchronized long committed() {
        return committed;
    }

    /** The highest copy number known complete. */
    synchronized long completed() {
        return completed;
    }

    /** The copy whose completion slot {@code slot} holds now (0: none yet). */
    synchronized long heldBy(int slot) {
        return heldBy[slot];
    }

    /**
     * Waits until copy {@code n} and every copy before it completed, probing its slot with {@code probe}: a few
     * polls, then a park of 20 us between polls.
     *
     * @throws InvalidUsageException when {@code n} was never committed
     * @throws CommTimeoutException  when the copy is not complete by {@code deadlineNanos} ({@link System#nanoTime})
     */
    void await(long n, long deadlineNanos, Probe probe) {
        int slot;
        long held;
        synchronized (this) {
            if (n <= completed) {
                return;
            }
            if (n < 1 || n > committed) {
                throw new InvalidUsageException("CUDA " + name + " copy ticket #" + n + " was never issued ("
                        + committed + " copies queued)");
            }
            slot = slotOf(n);
            held = heldBy[slot];
        }
        for (long polls = 0; !probe.done(slot); polls++) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                throw new CommTimeoutException("CUDA " + name + " copy #" + n + " not complete by the deadline ("
                        + completed() + " of " + committed() + " known complete)");
            }
            if (polls < SPIN_POLLS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(Math.min(PARK_NANOS, left));
            }
        }
        synchronized (this) {
            // the slot answered for the copy it held when read (>= n), or a later one: all up to held are done
            completed = Math.max(completed, held);
        }
    }

    private int slotOf(long n) {
        return (int) ((n - 1) % heldBy.length);
    }
}
