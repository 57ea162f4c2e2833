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
 * <p>Threading: {@link #issue} from the sending thread; {@link #complete} and {@link #fail} from any
 * thread; {@link #await} from the sending thread.
 */
public final class SendTracker {
    private long issued;
    private volatile long completed;
    private final Set<Long> outOfOrder = new HashSet<>();
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
        if (ticket == completed + 1) {
            long c = ticket;
            while (!outOfOrder.isEmpty() && outOfOrder.remove(c + 1)) {
                c++;
            }
            completed = c;
        } else if (ticket > completed) {
            outOfOrder.add(ticket);
        }
        if (waiters > 0) {
            notifyAll();
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
                long left = deadlineNanos - System.nanoTime();
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
            }
        }
    }
}
