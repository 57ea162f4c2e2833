package io.jccl.core;

import java.util.concurrent.ThreadFactory;

/**
 * The thread factory of JCCL's executors: daemon threads (they never keep a JVM alive) with one name that says
 * whose they are ("jccl-comm3-rank0").
 *
 * <p>Stateless; the factory it returns may be used from any thread.
 */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    /** A factory of daemon threads named {@code name}. */
    public static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
