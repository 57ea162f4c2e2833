package io.jccl.net;

import io.jccl.CommConfig;
import io.jccl.CommTimeoutException;
import io.jccl.Communicator;
import io.jccl.InvalidUsageException;
import io.jccl.JcclException;
import io.jccl.Knob;
import io.jccl.net.launch.HostIdentity;
import io.jccl.net.launch.Rendezvous;
import io.jccl.net.launch.SpinKnob;
import io.jccl.net.shm.Shm;
import io.jccl.net.store.TcpStoreClient;
import io.jccl.net.store.TcpStoreServer;
import io.jccl.transport.HostLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Creates world communicators over TCP. The one-line entry point is {@link #fromEnvironment()}:
 *
 * <pre>{@code
 * try (Communicator comm = NetCommunicators.fromEnvironment()) {
 *     comm.allReduce(grads, grads.count(DataType.FLOAT32), DataType.FLOAT32, ReduceOp.SUM);
 * }
 * }</pre>
 *
 * <p>Rendezvous: rank 0 serves a key-value store on {@code MASTER_PORT} (all interfaces); every rank
 * connects to it at {@code MASTER_ADDR}, starts its listener on the address it advertises (the interface
 * named by {@code JCCL_SOCKET_IFNAME}, else the one that routes to the store; of the store's address family:
 * {@code AdvertisedAddress}), publishes it, reads every peer's address, and waits until all ranks have joined. Connections between ranks are made on first use.
 * Every step has the deadline {@link CommConfig#timeoutMillis()}.
 */
public final class NetCommunicators {
    private static final Logger LOG = LoggerFactory.getLogger(NetCommunicators.class);

    private NetCommunicators() {
    }

    /** The world communicator of this process, from the launcher's environment and the {@code JCCL_*} knobs. */
    public static Communicator fromEnvironment() {
        return create(LaunchInfo.fromEnvironment(), CommConfig.fromKnobs());
    }

    /** The world communicator of the process described by {@code info}; rank 0 serves the store unless a launcher does. */
    public static Communicator create(LaunchInfo info, CommConfig config) {
        return create(info, config, info.rank() == 0 && !info.storeHosted());
    }

    /**
     * As {@link #create(LaunchInfo, CommConfig)}, with the store served elsewhere when {@code serveStore}
     * is false (tests that run several jobs against one store server, launchers that host it).
     */
    public static Communicator create(LaunchInfo info, CommConfig config, boolean serveStore) {
        return create(info, config, serveStore, Knob.TRANSPORT.get());
    }

    /**
     * As {@link #create(LaunchInfo, CommConfig, boolean)} with the data path of same-host peers given as
     * {@code transportMode} ({@link Knob#TRANSPORT}: tcp, shm or auto) instead of read from the knob. Every rank
     * of the job must pass the same mode.
     *
     * @throws InvalidUsageException when the mode is none of the three
     */
    public static Communicator create(LaunchInfo info, CommConfig config, boolean serveStore, String transportMode) {
        return create(info, config, serveStore, transportMode, null);
    }

    /**
     * As {@link #create(LaunchInfo, CommConfig, boolean, String)} with this rank's host identity given (ranks with
     * equal identities share a host: shared memory, hierarchical algorithms) instead of {@link HostIdentity#local()}:
     * tests that place the ranks of one JVM on fake hosts.
     *
     * @param hostId this rank's host identity, or null for {@link HostIdentity#local()}
     */
    public static Communicator create(LaunchInfo info, CommConfig config, boolean serveStore, String transportMode,
                                      String hostId) {
        String mode = transportMode.trim().toLowerCase(java.util.Locale.ROOT);
        if (!mode.equals("tcp") && !mode.equals("shm") && !mode.equals("auto")) {
            throw new InvalidUsageException(Knob.TRANSPORT.envName() + "='" + transportMode + "': expected tcp, shm or auto");
        }
        long spinSetting = SpinKnob.setting(Knob.SHM_SPIN_US); // checked before any probe exists
        long tcpSpinSetting = SpinKnob.setting(Knob.TCP_SPIN_US);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis());
        TcpStoreServer server = null;
        TcpStoreClient store = null;
        NettyTransport transport = null;
        String shmHeld = null; // a shared-memory job this rank holds and no Shm owns yet
        try {
            if (serveStore) {
                server = TcpStoreServer.start(new InetSocketAddress(info.masterPort()));
            }
            InetSocketAddress master = new InetSocketAddress(resolve(info.masterAddr()), info.masterPort());
            store = TcpStoreClient.connect(master, deadline);
            InetAddress advertise = AdvertisedAddress.choose(store.localAddress());
            transport = NettyTransport.start(info.rank(), info.worldSize(), advertise);
            String prefix = Rendezvous.join(store, info.rank(), info.worldSize(), LaunchInfo.restartCount(), deadline);
            InetSocketAddress mine = transport.listenAddress();
            store.set(prefix + "addr/" + info.rank(),
                    (mine.getAddress().getHostAddress() + " " + mine.getPort()).getBytes(StandardCharsets.UTF_8));
            InetSocketAddress[] all = new InetSocketAddress[info.worldSize()];
            for (int p = 0; p < all.length; p++) {
                String[] v = Rendezvous.address(store, prefix, info.rank(), p, deadline).split(" ");
                all[p] = new InetSocketAddress(InetAddress.getByName(v[0]), Integer.parseInt(v[1]));
            }
            transport.setPeerAddresses(all);
            HostLayout hosts = HostIdentity.exchange(store, prefix, info.rank(), info.worldSize(),
                    hostId != null ? hostId : HostIdentity.local(),
                    deadline);
            HostIdentity.check(hosts, info.rank(), info.localRank(), System.getenv());
            transport.setHostLayout(hosts);
            int sameAddress = 0;
            for (InetSocketAddress a : all) {
                sameAddress += a.getAddress().equals(mine.getAddress()) ? 1 : 0;
            }
            transport.setRankReadNanos(SpinKnob.spinNanos(tcpSpinSetting, sameAddress, LaunchInfo.hostCpus(),
                    SpinKnob.TCP_AUTO_NANOS));
            String shmJob = mode.equals("tcp") ? null : shmJob(store, prefix, info.rank(), deadline);
            if (shmJob != null && hosts.localSize(info.rank()) == 1) {
                transport.setShmNote("no other rank on this host");
                shmJob = null;
            }
            if (shmJob != null) {
                // room first, for the rings of this host's ranks only; a probe is only made (and later deleted) by a
                // rank that will use shared memory
                String why = mode.equals("auto") ? Shm.lacksRoom(hosts.localSize(info.rank()),
                        (int) Knob.SHM_SLOTS.getLong(), (int) Knob.SHM_SLOT_BYTES.getLong()) : null;
                if (why == null) {
                    why = Shm.hold(shmJob);
                    shmHeld = why == null ? shmJob : null;
                }
                if (why == null) {
                    why = Shm.probe(shmJob, info.rank());
                }
                if (why != null && mode.equals("shm")) {
                    throw new InvalidUsageException(Knob.TRANSPORT.envName() + "=shm but rank=" + info.rank()
                            + " cannot use " + Shm.DIR + ": " + why);
                }
                if (why != null) {
                    LOG.debug("rank={}: no shared memory ({}), using TCP", info.rank(), why);
                    transport.setShmNote(why);
                    shmJob = null;
                    releaseShm(shmHeld);
                    shmHeld = null;
                }
            }
            store.set(prefix + "shm/" + info.rank(), new byte[] {(byte) (shmJob != null ? 1 : 0)});
            if (info.rank() == 0 && mode.equals("tcp")) {
                store.set(prefix + "shm.job", "-".getBytes(StandardCharsets.UTF_8)); // for ranks that want shm
            }
            if (store.add(prefix + "joined", 1) == info.worldSize()) {
                store.set(prefix + "ready", new byte[] {1});
            }
            store.get(prefix + "ready", deadline);
            if (shmJob != null) {
                boolean[] same = new boolean[info.worldSize()];
                int n = 0;
                for (int p = 0; p < same.length; p++) {
                    same[p] = p != info.rank() && hosts.sameHost(info.rank(), p)
                            && store.get(prefix + "shm/" + p, deadline)[0] == 1
                            && java.nio.file.Files.exists(Shm.probePath(shmJob, p));
                    n += same[p] ? 1 : 0;
                }
                if (n < hosts.localSize(info.rank()) - 1) {
                    transport.setShmNote((hosts.localSize(info.rank()) - 1 - n) + " of this host's peers refused "
                            + "shared memory or do not see this /dev/shm (give each host its own "
                            + Knob.HOST_ID.envName() + ")");
                }
                shmHeld = null; // the Shm releases it when it closes
                transport.enableShm(new Shm(info.rank(), shmJob, (int) Knob.SHM_SLOTS.getLong(),
                        (int) Knob.SHM_SLOT_BYTES.getLong(), same, SpinKnob.spinNanos(spinSetting, n + 1, LaunchInfo.hostCpus(), SpinKnob.SHM_AUTO_NANOS),
                        transport.receivedSegments()));

                LOG.debug("rank={}: shared memory with {} peers (job {})", info.rank(), n, shmJob);
            }
            // every rank counts itself once it has looked at the others' probes (or has none to look at); then the
            // probes can go, so that a rank killed later leaves nothing under /dev/shm
            if (store.add(prefix + "shm.looked", 1) == info.worldSize()) {
                store.set(prefix + "shm.looked.all", new byte[] {1});
            }
            if (shmJob != null) {
                store.get(prefix + "shm.looked.all", deadline);
                Shm.deleteProbe(shmJob, info.rank());
            }
            transport.closeWith(store);
            if (server != null) {
                transport.closeWith(server);
            }
            LOG.debug("rank={} of {} joined via {} listening on {} ({}): {}", info.rank(), info.worldSize(), master,
                    mine, transport.ioName(), transport.describe());
            if (LOG.isDebugEnabled()) {
                for (int p = 0; p < info.worldSize(); p++) {
                    if (p != info.rank()) {
                        LOG.debug("rank={} peer={} host={} local_rank={} path={}", info.rank(), p, hosts.host(p),
                                hosts.localRank(p), transport.pathTo(p));
                    }
                }
            }
            return io.jccl.core.DefaultCommunicator.world(transport, config, jobName(store, prefix, deadline));
        } catch (RuntimeException | UnknownHostException e) {
            if (transport != null) {
                transport.close();
            }
            if (shmHeld != null) {
                Shm.deleteProbe(shmHeld, info.rank());
                releaseShm(shmHeld);
            }
            if (store != null) {
                store.close();
            }
            if (server != null) {
                server.close();
            }
            if (e instanceof CommTimeoutException te) {
                throw new CommTimeoutException("rank=" + info.rank() + " start-up did not complete within "
                        + config.timeoutMillis() + " ms (" + Knob.TIMEOUT_MS.envName() + "): " + te.getMessage(), te);
            }
            if (e instanceof JcclException je) {
                throw je;
            }
            throw new JcclException("rank=" + info.rank() + " rendezvous at " + info.masterAddr() + ":"
                    + info.masterPort() + " failed: " + e, e);
        }
    }

    private static void releaseShm(String job) {
        if (job != null) {
            Shm.release(job);
        }
    }

    /**
     * This job's name for the flight recorder's dump files: the store's identity (8 hex digits) and the rendezvous
     * round ("a" restart count, "r" round), the same on every rank and different for every job and round.
     */
    private static String jobName(TcpStoreClient store, String prefix, long deadline) {
        String id = new String(store.get(io.jccl.net.store.TcpStoreServer.STORE_ID_KEY, deadline),
                StandardCharsets.UTF_8);
        String round = prefix.replace("jccl/", "").replace("/world/", "").replace("/", "");
        return id.substring(0, Math.min(8, id.length())) + "-" + round;
    }

    /** The job id of this job's shared-memory files: rank 0 draws it; null when rank 0 has none (it runs tcp). */
    private static String shmJob(TcpStoreClient store, String prefix, int rank, long deadline) {
        if (rank == 0) {
            String job = Shm.newJobId();
            store.set(prefix + "shm.job", job.getBytes(StandardCharsets.UTF_8));
            return job;
        }
        String job = new String(store.get(prefix + "shm.job", deadline), StandardCharsets.UTF_8);
        return job.equals("-") ? null : job;
    }

    private static InetAddress resolve(String host) throws UnknownHostException {
        return InetAddress.getByName(LaunchInfo.stripBrackets(host));
    }
}
