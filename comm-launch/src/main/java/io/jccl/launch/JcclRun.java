package io.jccl.launch;

import io.jccl.net.LaunchInfo;
import io.jccl.net.store.TcpStoreServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/jccl-run}: the local launcher, as {@code mpirun -np} or {@code torchrun --nproc-per-node}.
 * It serves the rendezvous store itself on a free port (bound once, no close-and-rebind window), starts
 * N copies of the command with {@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK},
 * {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR}, {@code MASTER_PORT} and {@code JCCL_STORE_HOSTED=1} set,
 * binds rank i to the i-th CPU when every rank has one ({@code --bind-to}, {@link CpuBinding}),
 * prefixes every output line with {@code [rank]}, and when any process fails it stops the others
 * (SIGTERM, then SIGKILL after a grace period) and exits with the first failure's code. With
 * {@code --max-restarts N} it then starts every process again, up to N times, as torchrun does, with
 * {@code JCCL_RESTART_COUNT} set to the restart's number (the ranks meet in a fresh rendezvous round).
 * Across hosts, as torchrun: one invocation per host with {@code --nnodes H --node-rank I --master-addr A
 * --master-port P -n PER_HOST}; host I's ranks are I x PER_HOST to (I+1) x PER_HOST - 1, and host 0's launcher serves
 * the store on A:P ({@code docs/multi-node.md}).
 */
@Command(name = "jccl-run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Start N local processes of one JCCL job (like mpirun -np / torchrun --nproc-per-node).")
public final class JcclRun implements Callable<Integer> {
    @Option(names = {"-n", "-np", "--nproc-per-node"}, required = true, description = "number of processes")
    int n;

    @Option(names = "--nnodes", defaultValue = "1",
            description = "number of hosts, one jccl-run each (torchrun's --nnodes; default: ${DEFAULT-VALUE});"
                    + " above 1, --node-rank, --master-addr and --master-port are required")
    int nnodes;

    @Option(names = "--node-rank", defaultValue = "0",
            description = "this host's index, 0 to nnodes-1; node 0 serves the store (torchrun's --node-rank)")
    int nodeRank;

    @Option(names = "--master-addr",
            description = "address the ranks reach the store at (default: 127.0.0.1; with --nnodes above 1, node 0's "
                    + "address, required)")
    String masterAddr;

    @Option(names = "--master-port", defaultValue = "0",
            description = "store port; 0 picks a free one (default)")
    int masterPort;

    @Option(names = "--grace-seconds", defaultValue = "5",
            description = "after a failure, how long the others get between SIGTERM and SIGKILL")
    int graceSeconds;

    @Option(names = "--timeout-seconds", defaultValue = "0",
            description = "stop every process after this long; 0 waits forever (default)")
    long timeoutSeconds;

    @Option(names = "--bind-to", defaultValue = "auto",
            description = "core: rank i runs on the i-th CPU jccl-run may use (taskset -c), as mpirun --bind-to core;"
                    + " none; auto (default): core when every rank has a CPU of its own and taskset is installed, else none")
    String bindTo;

    @Option(names = "--max-restarts", defaultValue = "0",
            description = "when a process fails, stop all and start them all again, up to this many times, with"
                    + " JCCL_RESTART_COUNT set to the restart's number (torchrun's --max-restarts; default: ${DEFAULT-VALUE})")
    int maxRestarts;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "command and its arguments")
    List<String> command;

    /** The most processes one jccl-run starts: each is a JVM, and more would exhaust any host before they ran. */
    static final int MAX_PROCESSES = 1024;

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;

    /**
     * The first argument before the command that looks like an option and is none of jccl-run's, or null: named
     * before any missing option, which picocli reports first ({@code jccl-run --bogus} lacks -n too).
     */
    static String unknownOption(CommandLine cl, String[] given) {
        java.util.Map<String, CommandLine.Model.OptionSpec> options = cl.getCommandSpec().optionsMap();
        for (int i = 0; i < given.length; i++) {
            String a = given[i];
            if (!a.startsWith("-") || a.equals("-") || a.equals("--")) {
                return null; // the command, or the end of the options
            }
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            CommandLine.Model.OptionSpec o = options.get(name);
            if (o == null && !name.startsWith("--") && name.length() > 2 && options.containsKey(name.substring(0, 2))) {
                continue; // a short option with its value attached: -n2
            }
            if (o == null) {
                return a;
            }
            if (!a.contains("=") && o.arity().max() > 0) {
                i++; // its value
            }
        }
        return null;
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new JcclRun()).setStopAtPositional(true);
        cl.getCommandSpec().version("jccl-run " + io.jccl.Jccl.version() + ", java " + Runtime.version());
        // a usage error in one line and a hint, named, as the tools print theirs
        cl.setParameterExceptionHandler((ex, given) -> {
            String unknown = unknownOption(ex.getCommandLine(), given);
            String what = unknown != null ? "Unknown option: '" + unknown + "'" : ex.getMessage();
            ex.getCommandLine().getErr().println("jccl-run: " + what + " (jccl-run --help lists the options)");
            return 2;
        });
        // the launcher's own failures (a store port in use, an unreadable key file) in one line, as the tools print
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof io.jccl.JcclException) {
                line.getErr().println("jccl-run: " + ex.getMessage());
                return ex instanceof io.jccl.InvalidUsageException ? 2 : 1;
            }
            throw ex;
        });
        System.exit(cl.execute(args));
    }

    private record Exit(int rank, int code) {
    }

    @Override
    public Integer call() throws Exception {
        if (n < 1 || n > MAX_PROCESSES) {
            err.println("jccl-run: -n must be from 1 to " + MAX_PROCESSES + " (processes on this host, each a JVM), not " + n);
            return 2;
        }
        List<Integer> cpus = CpuBinding.allowedCpus();
        Path taskset = CpuBinding.taskset();
        boolean bind;
        switch (bindTo) {
            case "none":
                bind = false;
                break;
            case "auto":
                bind = taskset != null && n <= cpus.size();
                break;
            case "core":
                if (taskset == null || n > cpus.size()) {
                    err.println("jccl-run: --bind-to core needs taskset on the PATH and a CPU per process: " + n
                            + " processes, " + cpus.size() + (cpus.size() == 1 ? " CPU " : " CPUs ") + cpus + (taskset == null ? ", no taskset" : ""));
                    return 2;
                }
                bind = true;
                break;
            default:
                err.println("jccl-run: --bind-to '" + bindTo + "': expected core, none or auto");
                return 2;
        }
        if (nnodes < 1 || nodeRank < 0 || nodeRank >= nnodes) {
            err.println("jccl-run: --node-rank " + nodeRank + " is not in 0.." + (nnodes - 1) + " (--nnodes " + nnodes + ")");
            return 2;
        }
        if (masterPort < 0 || masterPort > 65535) {
            err.println("jccl-run: --master-port " + masterPort + " is not a port (0 to 65535; 0: any free port, one"
                    + " host only)");
            return 2;
        }
        if (nnodes > 1 && (masterPort == 0 || masterAddr == null)) {
            err.println("jccl-run: --nnodes " + nnodes + " needs --master-addr (node 0's address, reachable from every"
                    + " host) and --master-port (a fixed port, the same on every host)");
            return 2;
        }
        if (masterAddr == null) {
            masterAddr = "127.0.0.1";
        }
        if (nnodes > 1 && maxRestarts > 0) {
            err.println("jccl-run: --max-restarts works on one host only (each host would restart on its own)");
            return 2;
        }
        if (maxRestarts < 0) {
            err.println("jccl-run: --max-restarts must be at least 0");
            return 2;
        }
        String cannotRun = bind ? CpuBinding.cannotRun(command.get(0)) : null;
        if (cannotRun != null) {
            err.println("jccl-run: cannot start '" + String.join(" ", command) + "': " + cannotRun);
            return 127;
        }
        // node 0 serves the store; the others' ranks reach it at --master-addr
        try (TcpStoreServer store = nodeRank == 0 ? TcpStoreServer.start(new InetSocketAddress(masterPort)) : null) {
            long deadline = timeoutSeconds > 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds) : Long.MAX_VALUE;
            for (int restart = 0; ; restart++) {
                int result = runOnce(store != null ? store.port() : masterPort, restart, bind, taskset, cpus, deadline);
                if (result == 0 || result == 124 || result == 127 || restart >= maxRestarts) {
                    if (result != 0 && maxRestarts > 0) {
                        err.println("jccl-run: giving up after " + restart + (restart == 1 ? " restart" : " restarts")
                                + " (--max-restarts " + maxRestarts + "); exit code " + result);
                    }
                    return result;
                }
                err.println("jccl-run: restarting every process (restart " + (restart + 1) + " of " + maxRestarts
                        + ", JCCL_RESTART_COUNT=" + (restart + 1) + ")");
            }
        }
    }

    /**
     * Starts the N processes once, with {@code JCCL_RESTART_COUNT=restart}, and waits for them: 0 when all
     * succeeded; else the first failure's exit code once every process stopped (124 at the deadline, 127 when a
     * process could not start).
     */
    private int runOnce(int storePort, int restart, boolean bind, Path taskset, List<Integer> cpus,
                        long deadline) throws InterruptedException {
        {
            List<Process> procs = java.util.Collections.synchronizedList(new ArrayList<>());
            // kill -USR1 on the launcher reaches every rank (each dumps its flight recorder) instead of ending it
            io.jccl.trace.Usr1Signal.handle(() -> DumpRequest.forward(procs, err));
            List<Thread> pumps = new ArrayList<>();
            LinkedBlockingQueue<Exit> exits = new LinkedBlockingQueue<>();
            Thread hook = new Thread(() -> procs.forEach(p -> p.destroyForcibly()), "jccl-run-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            for (int r = 0; r < n; r++) {
                ProcessBuilder pb = new ProcessBuilder(bind ? CpuBinding.bound(taskset, cpus.get(r), command) : command);
                Map<String, String> env = pb.environment();
                env.put("RANK", Integer.toString(nodeRank * n + r));
                env.put("WORLD_SIZE", Integer.toString(nnodes * n));
                env.put("LOCAL_RANK", Integer.toString(r));
                env.put("LOCAL_WORLD_SIZE", Integer.toString(n));
                env.put("MASTER_ADDR", masterAddr);
                env.put("MASTER_PORT", Integer.toString(storePort));
                env.put(LaunchInfo.STORE_HOSTED_ENV, "1");
                env.put(LaunchInfo.RESTART_COUNT_ENV, Integer.toString(restart));
                env.put(LaunchInfo.HOST_CPUS_ENV, Integer.toString(Runtime.getRuntime().availableProcessors()));
                Process p;
                try {
                    p = pb.start();
                } catch (IOException e) {
                    err.println("jccl-run: cannot start '" + String.join(" ", command) + "': " + e.getMessage());
                    procs.forEach(Process::destroyForcibly);
                    Runtime.getRuntime().removeShutdownHook(hook);
                    return 127;
                }
                procs.add(p);
                pumps.add(pump(p.getInputStream(), out, nodeRank * n + r));
                pumps.add(pump(p.getErrorStream(), err, nodeRank * n + r));
                int rank = nodeRank * n + r;
                p.onExit().thenAccept(done -> exits.add(new Exit(rank, done.exitValue())));
            }
            int result = 0;
            for (int finished = 0; finished < n; finished++) {
                Exit e = timeoutSeconds > 0
                        ? exits.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                        : exits.take();
                if (e == null) {
                    err.println("jccl-run: timed out after " + timeoutSeconds + " s; stopping every process");
                    DumpRequest.askToDump(procs, err);
                    stopAll(procs);
                    result = 124;
                    break;
                }
                if (e.code != 0) {
                    err.println("jccl-run: rank " + e.rank + " exited with code " + e.code + "; stopping the others");
                    DumpRequest.askToDump(procs, err);
                    stopAll(procs);
                    result = e.code;
                    break;
                }
            }
            for (Thread t : pumps) {
                t.join(TimeUnit.SECONDS.toMillis(graceSeconds + 5L));
            }
            Runtime.getRuntime().removeShutdownHook(hook);
            return result;
        }
    }

    private void stopAll(List<Process> procs) throws InterruptedException {
        for (Process p : procs) {
            if (p.isAlive()) {
                p.destroy();
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(graceSeconds);
        for (Process p : procs) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
                p.destroyForcibly();
            }
        }
        for (Process p : procs) {
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static Thread pump(InputStream in, PrintStream to, int rank) {
        Thread t = new Thread(() -> {
            String prefix = "[" + rank + "] ";
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (to) {
                        to.println(prefix + line);
                        to.flush();
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "jccl-run-pump-" + rank);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
