package io.jccl.net;

import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.net.launch.HostPort;
import io.jccl.net.store.TcpStoreServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Host and port spellings, IPv6 rendezvous, and the advertised address. */
@Timeout(60)
class HostPortTest {
    @Test
    void parsesEverySpelling() {
        assertEquals(new HostPort("node1", -1), HostPort.parse("node1"));
        assertEquals(new HostPort("node1", 29500), HostPort.parse("node1:29500"));
        assertEquals(new HostPort("10.0.0.1", 7), HostPort.parse(" 10.0.0.1:7 "));
        assertEquals(new HostPort("::1", -1), HostPort.parse("[::1]"));
        assertEquals(new HostPort("::1", 29500), HostPort.parse("[::1]:29500"));
        assertEquals(new HostPort("fd00::1", -1), HostPort.parse("fd00::1"));
        assertEquals(new HostPort("fe80::1%eth0", -1), HostPort.parse("fe80::1%eth0"));
        assertEquals("[::1]:29500", new HostPort("::1", -1).format(29500));
        assertThrows(InvalidUsageException.class, () -> HostPort.parse("[::1"));
        assertThrows(InvalidUsageException.class, () -> HostPort.parse("[::1]x"));
        assertThrows(InvalidUsageException.class, () -> HostPort.parse("host:99999"));
        assertThrows(InvalidUsageException.class, () -> HostPort.parse("host:port"));
        assertThrows(InvalidUsageException.class, () -> HostPort.parse(" "));
    }

    @Test
    void masterAddrMayCarryThePortWhenMasterPortIsUnset() {
        LaunchInfo a = LaunchInfo.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "1", "MASTER_ADDR", "[::1]:29600"));
        assertEquals("::1", a.masterAddr());
        assertEquals(29600, a.masterPort());
        LaunchInfo b = LaunchInfo.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "1", "MASTER_ADDR", "[::1]:29600",
                "MASTER_PORT", "29700"));
        assertEquals(29700, b.masterPort());
        LaunchInfo c = LaunchInfo.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "1", "MASTER_ADDR", "fd00::1"));
        assertEquals("fd00::1", c.masterAddr());
        assertEquals(LaunchInfo.DEFAULT_MASTER_PORT, c.masterPort());
    }

    private static boolean hasIpv6Loopback() throws Exception {
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                if (a instanceof Inet6Address && a.isLoopbackAddress()) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void aJobRendezvousesOverIpv6() throws Exception {
        Assumptions.assumeTrue(hasIpv6Loopback(), "this host has no IPv6 loopback (::1)");
        try (TcpStoreServer store = TcpStoreServer.start(new InetSocketAddress("::1", 0))) {
            String masterAddr = "[::1]:" + store.port();
            @SuppressWarnings({"unchecked", "rawtypes"})
            CompletableFuture<Float>[] sums = new CompletableFuture[2];
            for (int r = 0; r < 2; r++) {
                int rank = r;
                sums[r] = CompletableFuture.supplyAsync(() -> {
                    LaunchInfo info = LaunchInfo.fromEnvironment(Map.of("RANK", Integer.toString(rank), "WORLD_SIZE",
                            "2", "MASTER_ADDR", masterAddr, LaunchInfo.STORE_HOSTED_ENV, "1"));
                    try (Communicator c = NetCommunicators.create(info, CommConfig.builder().timeoutMillis(20_000).build());
                         HostBuffer b = HostBuffer.allocate(1, DataType.FLOAT32)) {
                        b.putFloat(0, rank + 1);
                        c.allReduce(b, 1, DataType.FLOAT32, ReduceOp.SUM);
                        c.barrier();
                        return b.getFloat(0);
                    }
                }, task -> new Thread(task).start());
            }
            for (CompletableFuture<Float> s : sums) {
                assertEquals(3.0f, s.get(40, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void socketIfnameChoosesTheAdvertisedInterface() {
        System.setProperty(io.jccl.Knob.SOCKET_IFNAME.propertyName(), "lo");
        try {
            InetAddress adv = AdvertisedAddress.choose(InetAddress.getLoopbackAddress());
            assertEquals("127.0.0.1", adv.getHostAddress());
            System.setProperty(io.jccl.Knob.SOCKET_IFNAME.propertyName(), "no-such-if0");
            io.jccl.InvalidUsageException e = assertThrows(io.jccl.InvalidUsageException.class,
                    () -> AdvertisedAddress.choose(InetAddress.getLoopbackAddress()));
            assertEquals(true, e.getMessage().contains("JCCL_SOCKET_IFNAME=no-such-if0: no such interface"), e.getMessage());
        } finally {
            System.clearProperty(io.jccl.Knob.SOCKET_IFNAME.propertyName());
        }
    }

    @Test
    void socketIfnameAdvertisesAnAddressOfTheStoresFamily() throws Exception {
        InetAddress v4 = InetAddress.getByName("10.1.2.3");
        InetAddress v6 = InetAddress.getByName("fd55::3");
        InetAddress linkLocal = InetAddress.getByName("fe80::1");
        InetAddress storeV6 = InetAddress.getByName("fd55::1");
        InetAddress storeV4 = InetAddress.getByName("10.1.2.1");
        assertEquals(v6, AdvertisedAddress.ofFamily("eth0", List.of(v4, linkLocal, v6), false, storeV6));
        assertEquals(v4, AdvertisedAddress.ofFamily("eth0", List.of(linkLocal, v6, v4), true, storeV4));
        InvalidUsageException e = assertThrows(InvalidUsageException.class,
                () -> AdvertisedAddress.ofFamily("eth0", List.of(v4, linkLocal), false, storeV6));
        assertTrue(e.getMessage().contains("JCCL_SOCKET_IFNAME=eth0 has no IPv6 (other than link-local) address")
                && e.getMessage().contains("fd55:0:0:0:0:0:0:1"), e.getMessage());
        e = assertThrows(InvalidUsageException.class,
                () -> AdvertisedAddress.ofFamily("eth1", List.of(v6), true, storeV4));
        assertTrue(e.getMessage().contains("JCCL_SOCKET_IFNAME=eth1 has no IPv4 address"), e.getMessage());
    }

    @Test
    void socketIfnameLoopbackFollowsAnIpv6Store() throws Exception {
        InetAddress v6Loopback = InetAddress.getByName("::1");
        NetworkInterface lo = NetworkInterface.getByName("lo");
        Assumptions.assumeTrue(lo != null && Collections.list(lo.getInetAddresses()).contains(v6Loopback),
                "this host's lo has no ::1");
        System.setProperty(io.jccl.Knob.SOCKET_IFNAME.propertyName(), "lo");
        try {
            assertEquals(v6Loopback, AdvertisedAddress.choose(v6Loopback));
        } finally {
            System.clearProperty(io.jccl.Knob.SOCKET_IFNAME.propertyName());
        }
    }

    @Test
    void neverAdvertisesLoopbackWhenTheHostHasAnotherAddress() {
        InetAddress other = AdvertisedAddress.firstNonLoopback(true);
        Assumptions.assumeTrue(other != null, "this host has only loopback addresses");
        InetAddress adv = AdvertisedAddress.choose(InetAddress.getLoopbackAddress());
        assertFalse(adv.isLoopbackAddress(), "advertised " + adv);
        assertEquals(List.of(other), List.of(adv));
    }
}
