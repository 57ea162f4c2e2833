package io.jccl.core;

/**
 * Whether a communicator is broken, and by what: once a collective failed or the communicator was aborted, every
 * later call fails at once with {@link FailureReport#broken}. Thread-safe (one volatile field).
 */
final class Breakage {
    private volatile RuntimeException cause;

    /** The failure that broke the communicator, or null. */
    RuntimeException cause() {
        return cause;
    }

    /** Records {@code failure} as the reason (the latest failed operation's). */
    void breakWith(RuntimeException failure) {
        cause = failure;
    }

    /** Records {@code failure} unless the communicator is already broken. */
    void breakIfWhole(RuntimeException failure) {
        if (cause == null) {
            cause = failure;
        }
    }

    /**
     * Throws the error of {@code collective} on communicator rank {@code rank} when the communicator is broken; the
     * message is built only then (this check runs once per operation).
     */
    void check(int rank, io.jccl.Collective collective) {
        RuntimeException c = cause;
        if (c != null) {
            throw FailureReport.broken("rank=" + rank + " " + collective.label(), c);
        }
    }

    /** Throws the error of a call named {@code what} when the communicator is broken. */
    void check(String what) {
        RuntimeException c = cause;
        if (c != null) {
            throw FailureReport.broken(what, c);
        }
    }
}
