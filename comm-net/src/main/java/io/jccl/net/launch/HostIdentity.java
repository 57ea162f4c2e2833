package io.jccl.net.launch;

import io.jccl.InvalidUsageException;
import io.jccl.Knob;
import io.jccl.transport.HostLayout;
import io.jccl.transport.Store;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which ranks share a host, found at start-up: each rank publishes its host identity, {@code JCCL_HOST_ID} when
 * set, else the hostname and the kernel's boot id (as NCCL's host hash, {@code getHostHash}: two containers or two
 * machines with one name still differ), reads everyone's, and builds the {@link HostLayout}; its local rank and
 * ranks per host are checked against what the launcher said ({@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE} and
 * their Slurm and Open MPI forms) so that a wrong identity fails at once instead of mis-placing shared memory and
 * hierarchical rings.
 *
 * <p>Stateless; the methods block only in the store, until the deadline.
 */
public final class HostIdentity {
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    private HostIdentity() {
    }

    /** This process's host identity: {@code JCCL_HOST_ID}, else "hostname/boot id" (hostname alone if unknown). */
    public static String local() {
        String forced = Knob.HOST_ID.get();
        if (!forced.isEmpty()) {
            return forced;
        }
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            name = System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
        try {
            return name + "/" + Files.readString(BOOT_ID, StandardCharsets.US_ASCII).trim();
        } catch (IOException | RuntimeException e) {
            return name;
        }
    }

    /**
     * Publishes {@code id} as rank {@code rank}'s under {@code prefix}, reads every rank's and returns the layout.
     *
     * @throws io.jccl.CommTimeoutException when a rank's identity does not arrive by the deadline
     */
    public static HostLayout exchange(Store store, String prefix, int rank, int worldSize, String id,
                                      long deadlineNanos) {
        store.set(prefix + "host/" + rank, id.getBytes(StandardCharsets.UTF_8));
        String[] ids = new String[worldSize];
        for (int p = 0; p < worldSize; p++) {
            ids[p] = new String(store.get(prefix + "host/" + p, deadlineNanos), StandardCharsets.UTF_8);
        }
        return HostLayout.fromIds(ids);
    }

    /**
     * Checks the layout against the launcher's local rank ({@code launcherLocalRank}, -1 when unknown) and its
     * ranks-per-host variable in {@code env} ({@code LOCAL_WORLD_SIZE}, {@code OMPI_COMM_WORLD_LOCAL_SIZE}), which
     * must agree with what the host identities say.
     *
     * @throws InvalidUsageException naming the rank, the variable, both values and the ranks sharing the host
     */
    public static void check(HostLayout layout, int rank, int launcherLocalRank, Map<String, String> env) {
        int local = layout.localRank(rank);
        int size = layout.localSize(rank);
        List<String> wrong = new ArrayList<>();
        if (launcherLocalRank >= 0 && launcherLocalRank != local) {
            wrong.add("local rank " + launcherLocalRank + " (LOCAL_RANK, SLURM_LOCALID or OMPI_COMM_WORLD_LOCAL_RANK)");
        }
        for (String name : new String[] {"LOCAL_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_SIZE"}) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                int n;
                try {
                    n = Integer.parseInt(v.trim());
                } catch (NumberFormatException e) {
                    throw new InvalidUsageException("rank=" + rank + ": " + name + "='" + v + "' is not a number");
                }
                if (n != size) {
                    wrong.add(n + " ranks on this host (" + name + ")");
                }
                break;
            }
        }
        if (!wrong.isEmpty()) {
            throw new InvalidUsageException("rank=" + rank + ": the launcher says " + String.join(" and ", wrong)
                    + ", but by host identity (" + Knob.HOST_ID.envName() + ", else hostname and boot id) this host has "
                    + size + " ranks " + java.util.Arrays.toString(layout.ranksOn(layout.host(rank)))
                    + " and this rank is local rank " + local + ": give every host its own "
                    + Knob.HOST_ID.envName() + " (the same for all ranks of one host) or fix the launcher's variables");
        }
    }
}
