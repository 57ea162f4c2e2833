package io.jccl.net;

import io.jccl.InvalidUsageException;
import io.jccl.net.launch.HostPort;

import java.util.Map;

/**
 * Who this process is in its job and where the rendezvous store lives, read from the environment that
 * launchers set:
 * <ul>
 *   <li>torchrun, Kubernetes (PyTorchJob), {@code bin/jccl-run}: {@code RANK}, {@code WORLD_SIZE},
 *       {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT};</li>
 *   <li>Slurm ({@code srun}): {@code SLURM_PROCID}, {@code SLURM_NTASKS}, {@code SLURM_LOCALID};</li>
 *   <li>Open MPI ({@code mpirun}): {@code OMPI_COMM_WORLD_RANK}, {@code OMPI_COMM_WORLD_SIZE},
 *       {@code OMPI_COMM_WORLD_LOCAL_RANK}; MPICH/Hydra: {@code PMI_RANK}, {@code PMI_SIZE}.</li>
 * </ul>
 * The torchrun names win when several are set. {@code MASTER_ADDR} defaults to 127.0.0.1 and
 * {@code MASTER_PORT} to 29500 (torch.distributed's defaults), which multi-host jobs must override.
 * {@code MASTER_ADDR} may be a name, an IPv4 address, a bare IPv6 address ({@code fd00::1}) or a bracketed
 * one ({@code [::1]}), optionally with a port ({@code [::1]:29500}, {@code host:29500}), used when
 * {@code MASTER_PORT} is not set.
 *
 * @param rank       rank in the world, {@code [0, worldSize)}
 * @param worldSize  number of processes
 * @param localRank  rank among the processes of this host (-1 when unknown)
 * @param masterAddr host of rank 0's rendezvous store (name, IPv4, or IPv6 with or without brackets)
 * @param masterPort its TCP port
 * @param storeHosted true when the launcher already serves the store ({@code JCCL_STORE_HOSTED=1}, set by
 *                    {@code bin/jccl-run}), so rank 0 must not start one
 */
public record LaunchInfo(int rank, int worldSize, int localRank, String masterAddr, int masterPort,
                         boolean storeHosted) {
    public static final int DEFAULT_MASTER_PORT = 29500;
    /** Set to 1 by a launcher that serves the rendezvous store itself. */
    public static final String STORE_HOSTED_ENV = "JCCL_STORE_HOSTED";
    /** Set by {@code jccl-run --max-restarts} in every rank: how many times the job was started again. */
    public static final String RESTART_COUNT_ENV = "JCCL_RESTART_COUNT";
    /**
     * Set by {@code bin/jccl-run}: the CPUs the job may use on this host. A rank that jccl-run bound to one CPU sees
     * only that one through {@link Runtime#availableProcessors()}; see {@link #hostCpus()}.
     */
    public static final String HOST_CPUS_ENV = "JCCL_HOST_CPUS";

    /**
     * The CPUs the ranks of this host share: {@value #HOST_CPUS_ENV} when a launcher set it to a positive number,
     * else {@link Runtime#availableProcessors()} (which counts this process's CPU affinity and quota).
     */
    public static int hostCpus() {
        String v = System.getenv(HOST_CPUS_ENV);
        if (v != null) {
            try {
                int n = Integer.parseInt(v.trim());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // not set by our launcher: below
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** A process of a job whose rank 0 serves the store. */
    public LaunchInfo(int rank, int worldSize, int localRank, String masterAddr, int masterPort) {
        this(rank, worldSize, localRank, masterAddr, masterPort, false);
    }

    /**
     * True when a launcher started this process as a rank of a job: {@code RANK}, {@code SLURM_PROCID},
     * {@code OMPI_COMM_WORLD_RANK} or {@code PMI_RANK} is set (tools then join the job instead of running ranks as
     * threads).
     */
    public static boolean launched() {
        for (String n : new String[] {"RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK"}) {
            String v = System.getenv(n);
            if (v != null && !v.isBlank()) {
                return true;
            }
        }
        return false;
    }

    /** Reads the process environment. */
    public static LaunchInfo fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * Reads {@code env}.
     *
     * @throws InvalidUsageException naming the variable that is missing or malformed
     */
    public static LaunchInfo fromEnvironment(Map<String, String> env) {
        int rank = intVar(env, UNSET, "RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK");
        int size = intVar(env, UNSET, "WORLD_SIZE", "SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE");
        int local = intVar(env, -1, "LOCAL_RANK", "SLURM_LOCALID", "OMPI_COMM_WORLD_LOCAL_RANK");
        if (rank < 0 && rank != UNSET) {
            throw new InvalidUsageException("RANK=" + rank + " is negative: ranks are 0 .. WORLD_SIZE-1");
        }
        if (size < 1 && size != UNSET) {
            throw new InvalidUsageException("WORLD_SIZE=" + size + " must be at least 1");
        }
        if (rank < 0) {
            throw new InvalidUsageException("RANK is not set (nor SLURM_PROCID, OMPI_COMM_WORLD_RANK, PMI_RANK): "
                    + "start ranks with bin/jccl-run, torchrun, srun or mpirun, or set RANK and WORLD_SIZE");
        }
        if (size < 1) {
            throw new InvalidUsageException("WORLD_SIZE is not set (nor SLURM_NTASKS, OMPI_COMM_WORLD_SIZE, PMI_SIZE)");
        }
        if (rank >= size) {
            throw new InvalidUsageException("RANK=" + rank + " is not below WORLD_SIZE=" + size);
        }
        String addr = env.getOrDefault("MASTER_ADDR", "127.0.0.1").trim();
        if (addr.isEmpty()) {
            addr = "127.0.0.1";
        }
        HostPort hp = HostPort.parse(addr);
        int port = intVar(env, hp.port() >= 0 ? hp.port() : DEFAULT_MASTER_PORT, "MASTER_PORT");
        if (port < 0 || port > 65535) {
            throw new InvalidUsageException("MASTER_PORT=" + port + " is not a TCP port");
        }
        boolean hosted = "1".equals(env.getOrDefault(STORE_HOSTED_ENV, "").trim());
        return new LaunchInfo(rank, size, local, hp.host(), port, hosted);
    }

    /**
     * How many times the launcher restarted this job: {@code JCCL_RESTART_COUNT} (set by {@code jccl-run
     * --max-restarts}), else torchrun's {@code TORCHELASTIC_RESTART_COUNT}, else 0.
     */
    public static int restartCount() {
        return restartCount(System.getenv());
    }

    /** As {@link #restartCount()}, from {@code env}. */
    static int restartCount(Map<String, String> env) {
        return Math.max(0, intVar(env, 0, RESTART_COUNT_ENV, "TORCHELASTIC_RESTART_COUNT"));
    }

    static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** What {@link #intVar} returns when no name is set (a variable set to this value reads as not set). */
    private static final int UNSET = Integer.MIN_VALUE;

    private static int intVar(Map<String, String> env, int dflt, String... names) {
        for (String n : names) {
            String v = env.get(n);
            if (v != null && !v.isBlank()) {
                try {
                    return Integer.parseInt(v.trim());
                } catch (NumberFormatException e) {
                    throw new InvalidUsageException(n + "='" + v + "' is not an integer");
                }
            }
        }
        return dflt;
    }
}
