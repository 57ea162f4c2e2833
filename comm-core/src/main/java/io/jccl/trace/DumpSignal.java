package io.jccl.trace;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code kill -USR1 <pid>} dumps the flight recorder of every live communicator of the process (a path that
 * needs no JMX client: {@code jcmd} lists the pids). Installed once, when the first communicator registers;
 * through {@code sun.misc.Signal} (module jdk.unsupported), looked up by reflection so that a JVM without it only
 * loses this path. Thread-safe.
 */
final class DumpSignal {
    private static final Logger LOG = LoggerFactory.getLogger(DumpSignal.class);
    private static final Set<CommTrace> LIVE = ConcurrentHashMap.newKeySet();
    private static final Object LOCK = new Object();
    private static boolean installed;

    private DumpSignal() {
    }

    static void register(CommTrace t) {
        LIVE.add(t);
        ensureInstalled();
    }

    static void unregister(CommTrace t) {
        LIVE.remove(t);
    }

    /** Installs the handler once (also for a process whose communicators record nothing: the signal must not kill it). */
    static void ensureInstalled() {
        synchronized (LOCK) {
            if (!installed) {
                installed = true;
                install();
            }
        }
    }

    private static void install() {
        Usr1Signal.handle(() -> {
            if (LIVE.isEmpty()) {
                LOG.info("SIGUSR1: no flight recorder to dump (JCCL_TRACE_BUFFER=0, or no open communicator)");
            }
            for (CommTrace t : LIVE) {
                t.dumpAsync("SIGUSR1", true);
            }
        });
    }
}
