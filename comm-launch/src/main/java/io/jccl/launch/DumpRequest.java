package io.jccl.launch;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Before jccl-run stops a failed job's surviving ranks, it asks each to dump its flight recorder ({@code kill -USR1},
 * which JCCL handles in every process that made a communicator) and gives them {@link #GRACE_MILLIS} to write it, so
 * that {@code bin/jccl-trace} has every rank's record and not only the failed rank's peers'. Stateless.
 */
final class DumpRequest {
    /** How long the ranks get to write their dumps before they are stopped. */
    static final long GRACE_MILLIS = 1_500;

    private DumpRequest() {
    }

    /** Sends SIGUSR1 to every live process, from a thread of its own (the caller may be the JVM's signal thread). */
    static void forward(List<Process> procs, PrintStream err) {
        List<Process> live = new ArrayList<>();
        synchronized (procs) {
            for (Process p : procs) {
                if (p.isAlive()) {
                    live.add(p);
                }
            }
        }
        Thread t = new Thread(() -> {
            for (Process p : live) {
                signal(p, err);
            }
        }, "jccl-run-usr1");
        t.setDaemon(true);
        t.start();
    }

    private static boolean signal(Process p, PrintStream err) {
        try {
            Process kill = new ProcessBuilder("kill", "-USR1", Long.toString(p.pid())).redirectErrorStream(true).start();
            return kill.waitFor(2, TimeUnit.SECONDS) && kill.exitValue() == 0;
        } catch (IOException e) {
            err.println("jccl-run: could not ask pid " + p.pid() + " to dump its flight recorder: " + e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Sends SIGUSR1 to every live process and waits {@link #GRACE_MILLIS}; a process that cannot be asked is skipped. */
    static void askToDump(List<Process> procs, PrintStream err) throws InterruptedException {
        List<Process> asked = new ArrayList<>();
        for (Process p : procs) {
            if (p.isAlive() && signal(p, err)) {
                asked.add(p);
            }
        }
        if (!asked.isEmpty()) {
            Thread.sleep(GRACE_MILLIS);
        }
    }
}
