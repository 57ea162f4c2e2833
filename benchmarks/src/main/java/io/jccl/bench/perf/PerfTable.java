package io.jccl.bench.perf;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.algo.select.CostModel;
import io.jccl.buffer.HostBuffer;
import io.jccl.transport.HostLayout;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The text of {@code jccl-perf}'s nccl-tests table: the header (settings, the JVM, every rank's pid and host), the
 * column titles, one row per size, times formatted as nccl-tests does. Writes to rank 0's stream; every method
 * takes a null stream as "print nothing". Stateless.
 */
final class PerfTable {
    private PerfTable() {
    }

    /**
     * Gathers every rank's pid and host (a collective call over {@code comm}: every rank calls it) and prints the
     * header of {@code sweep}'s table to {@code out}.
     */
    static void header(Communicator comm, String transport, Sweep sweep, PrintStream out) {
        int w = comm.size();
        // every rank's pid and host, gathered to print the nccl-tests "Using devices" block
        byte[] me = String.format(Locale.ROOT, "%d %s", ProcessHandle.current().pid(), hostName())
                .getBytes(StandardCharsets.UTF_8);
        int slot = 64;
        try (HostBuffer mine = HostBuffer.allocate(slot); HostBuffer all = HostBuffer.allocate((long) slot * w)) {
            mine.unsafeBacking().put(0, me, 0, Math.min(slot, me.length));
            comm.allGather(mine, all, slot, DataType.UINT8);
            if (out == null) {
                return;
            }
            settings(comm, transport, sweep, out);
            out.println("#");
            out.println("# Using ranks");
            for (int r = 0; r < w; r++) {
                byte[] b = new byte[slot];
                all.unsafeBacking().get(r * slot, b);
                String s = new String(b, StandardCharsets.UTF_8).trim().replace("\0", "");
                String[] parts = s.split(" ", 2);
                out.printf(Locale.ROOT, "#  Rank %2d Pid %7s on %10s device cpu%n", r, parts[0],
                        parts.length > 1 ? parts[1] : "?");
            }
        }
    }

    private static void settings(Communicator comm, String transport, Sweep sweep, PrintStream out) {
        SizeRange sizes = sweep.sizes();
        PerfTiming timing = sweep.timing();
        out.printf(Locale.ROOT, "# jccl-perf %s: nRanks %d transport %s minBytes %d maxBytes %d step: %s warmup iters: %d iters: %d validation: %d%n",
                sweep.call().coll().collective.label(), comm.size(), transport, sizes.minBytes(), sizes.maxBytes(),
                sizes.stepLabel(), timing.warmup(), timing.iters(), sweep.check() ? 1 : 0);
        if (sweep.call().memory().kind() != PerfMemory.Kind.HOST) {
            out.printf(Locale.ROOT, "# memory: %s%n", sweep.call().memory().describe());
        }
        if (timing.warmupMs() > 0) {
            out.printf(Locale.ROOT, "# each size and placement warmed up %d ms more before it is timed (--warmup-ms)%n",
                    timing.warmupMs());
        }
        if (timing.reps() > 1) {
            out.printf(Locale.ROOT, "# time: the %s of %d batches (each the slowest rank's mean over the iterations)%n",
                    timing.stat().name().toLowerCase(Locale.ROOT), timing.reps());
        }
        out.printf(Locale.ROOT, "# JCCL %s, Java %s, %s%n", comm.config(), Runtime.version(),
                ManagementFactory.getRuntimeMXBean().getVmName());
    }

    /** The line printed before the warm-up, while the table is still to come. */
    static void warmingUp(PrintStream out, long maxMillis) {
        if (out == null) {
            return;
        }
        // one line while the table is still to come (command 1 otherwise shows nothing for seconds)
        out.printf(Locale.ROOT, "# warming up (JIT, socket buffers) for up to %d ms (--jit-warmup-ms) ...%n", maxMillis);
        out.flush();
    }

    /** The note that {@code model} has no parameters of this W, if so. */
    static void modelNote(PrintStream out, CostModel model, HostLayout hosts) {
        int w = hosts.size();
        if (out != null && model != null && model.acrossHosts() != null && hosts.hosts() > 1) {
            CostModel.Large large = model.acrossLarge();
            out.printf(Locale.ROOT, "# cost model of two links: inside a host (%d ranks) %s; between hosts %s%s%n",
                    hosts.maxLocalSize(), model.params(hosts.maxLocalSize()), model.acrossHosts(), large == null ? ""
                            : String.format(Locale.ROOT, ", from %d B: beta=%.3g s/B (%.3f GB/s)", large.fromBytes(),
                            large.betaSecondsPerByte(), 1e-9 / large.betaSecondsPerByte()));
        } else if (out != null && model != null && !model.byWorld().containsKey(w)) {
            out.printf(Locale.ROOT, "# note: the cost model has no parameters measured with W=%d (it has W=%s): the"
                    + " predictions use its base parameters (two ranks alone); fit this W with bin/jccl-run -n %d"
                    + " bin/jccl-tune%n", w, model.byWorld().keySet(), w);
        }
    }

    /** The table's column header, with the prediction columns when there is a model. */
    static void columns(PrintStream out, boolean predicted) {
        if (out == null) {
            return;
        }
        out.println("#");
        out.println("#                                                               out-of-place                       in-place");
        out.println("#       size         count      type   redop    root     time   algbw   busbw  #wrong     time   algbw   busbw  #wrong  algo"
                + (predicted ? "   predicted   error   error" : ""));
        out.println("#        (B)    (elements)                               (us)  (GB/s)  (GB/s)             (us)  (GB/s)  (GB/s)"
                + (predicted ? "             (us)     oop      ip" : ""));
    }

    /** One row: {@code us} and {@code wrong} per placement (out of place, in place), {@code predicted} its columns. */
    static void row(PrintStream out, PerfCall call, boolean check, PerfRow row, double busFactor, String predicted) {
        if (out == null) {
            return;
        }
        double alg0 = row.algbw(0);
        double alg1 = row.algbw(1);
        out.printf(Locale.ROOT, "%12d  %12d  %8s  %6s  %6d  %7s  %6.2f  %6.2f  %6s  %7s  %6.2f  %6.2f  %6s  %s%s%n",
                row.size(), row.total(), call.type().ncclName(), call.coll().reduces() ? call.op().ncclName() : "none",
                call.coll().rooted() ? call.root() : -1,
                time(row.us()[0]), alg0, alg0 * busFactor, check ? Long.toString(row.wrong()[0]) : "N/A",
                time(row.us()[1]), alg1, alg1 * busFactor, check ? Long.toString(row.wrong()[1]) : "N/A", row.algo(),
                predicted);
        out.flush();
    }

    /** A time in us as nccl-tests prints it: 2 decimals, 1 from 10^4, none from 10^6. */
    static String time(double us) {
        if (us >= 1e6) {
            return String.format(Locale.ROOT, "%.0f", us);
        }
        return String.format(Locale.ROOT, us >= 1e4 ? "%.1f" : "%.2f", us);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
