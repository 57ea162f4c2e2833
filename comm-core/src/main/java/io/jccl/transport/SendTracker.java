package io.jccl.transport;

import io.jccl.CommTimeoutException;
import io.jccl.JcclException;
import io.jccl.PeerFailureException;

import java.util.HashSet;
import java.util.Set;

/**
 * Send tickets of one link: issued in order by the sending thread, completed by the transport (in order
 * for a stream socket, in any order for the in-process transport), awaited with a deadline.
 *
 * <p>A ticket is <em>settled</em> once the transport will never again read the memory it was sent from: it was
 * sent ({@link #complete}) or the transport gave up on it ({@link #abandon}). {@link #fail} only fails the waits;
 * it settles nothing, since a queued write may still read the caller's memory after the link broke.
 * {@link #awaitSettled} is what a failed call waits on before it returns, so that its caller may free the memory.
 *
 * <p>Threading: {@link #issue} from the sending thread; {@link #complete}, {@link #abandon} and {@link #fail}
 * from any thread; {@link #await} and {@link #awaitSettled} from the sending thread.
 */
public final class SendTracker {
    private long issued;
    private volatile long completed;
    private final Set<Long> outOfOrder = new HashSet<>();
    /** Every ticket up to this one is settled (guarded by {@code this}). */
    private long settled;
    /** Abandoned tickets above {@link #settled}, and completed ones above it (guarded by {@code this}). */
    private final Set<Long> settledOutOfOrder = new HashSet<>();
    private RuntimeException failure;
    private int waiters;

    /** Returns the next ticket. */
    public long issue() {
        return ++issued;
    }

    /** The last ticket issued, or 0. */
    public long lastIssued() {
        return issued;
    }

    /** True when every ticket up to {@code ticket} is complete (a check that does not wait or lock). */
    public boolean isComplete(long ticket) {
        return completed >= ticket;
    }

    /** Marks {@code ticket} complete. */
    public synchronized void complete(long ticket) {
        long c = completed;
        long next = advance(c, ticket, outOfOrder);
        if (next != c) {
            completed = next;
        }
        settle(ticket);
        if (waiters > 0) {
            notifyAll();
        }
    }

    /**
     * Marks {@code ticket} given up: it will never be sent, and the transport no longer reads its memory. Fails
     * every wait with {@code cause}, as {@link #fail} does.
     */
    public synchronized void abandon(long ticket, RuntimeException cause) {
        settle(ticket);
        fail(cause);
    }

    /** Counts {@code ticket} settled (lock held). */
    private void settle(long ticket) {
        settled = advance(settled, ticket, settledOutOfOrder);
    }

    /**
     * Where the mark "every ticket up to here" stands once {@code ticket} is done, from {@code mark}:
     * {@code ticket} and the tickets after it in {@code above} when it is the next one, else {@code mark}
     * ({@code ticket} then waits in {@code above} until the tickets before it are done). Lock held.
     */
    private static long advance(long mark, long ticket, Set<Long> above) {
        if (ticket == mark + 1) {
            long c = ticket;
            while (!above.isEmpty() && above.remove(c + 1)) {
                c++;
            }
            return c;
        }
        if (ticket > mark) {
            above.add(ticket);
        }
        return mark;
    }

    /**
     * Waits until every ticket issued so far is settled (sent or abandoned), or the deadline passes; never throws
     * for a failed link, since a failed call waits here before it returns.
     *
     * @return true when every ticket is settled, false at the deadline or on an interrupt (the interrupt is kept)
     */
    public boolean awaitSettled(long deadlineNanos) {
        long target = issued;
        synchronized (this) {
            while (settled < target) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                waiters++;
                try {
                    wait(Math.max(1, Math.min(100, left / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                } finally {
                    waiters--;
                }
            }
            return true;
        }
    }

    /** Fails every current and future wait that is not already satisfied. */
    public synchronized void fail(RuntimeException cause) {
        if (failure == null) {
            failure = cause;
        }
        notifyAll();
    }

    /**
     * Waits until every ticket up to {@code ticket} is complete.
     *
     * @param what names the operation and peer for the error message
     */
    public void await(long ticket, long deadlineNanos, String what) {
        if (completed >= ticket) {
            return;
        }
        synchronized (this) {
            while (completed < ticket) {
                if (failure != null) {
                    throw new PeerFailureException(what + ": send failed: " + failure.getMessage(), failure);
                }
                long left = deadlineNanos - WaitClock.now();
                if (left <= 0) {
                    throw new CommTimeoutException(what + ": timed out waiting for send #" + ticket
                            + " to complete (completed=" + completed + ")");
                }
                waiters++;
                try {
                    long ms = Math.max(1, Math.min(100, left / 1_000_000));
                    wait(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new JcclException(what + ": interrupted waiting for a send");
                } finally {
                    waiters--;
                }
                WaitClock.now(); // when the wait ended, for the flight recorder (WaitClock)
            }
        }
    }
}
