package io.jccl.net;

import io.jccl.InvalidUsageException;
import io.jccl.Knob;
import io.jccl.net.tcp.TcpCongestion;
import io.jccl.net.tcp.TcpProbe;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link TcpCongestion}: with {@code JCCL_TCP_CONGESTION=auto} both ends of a connection between ranks of one host
 * run cubic, whatever the system's default; with {@code system} they run the system's default.
 */
@Timeout(60)
class TcpCongestionTest {
    private static final Path AVAILABLE = Path.of("/proc/sys/net/ipv4/tcp_available_congestion_control");
    private static final Path DEFAULT = Path.of("/proc/sys/net/ipv4/tcp_congestion_control");
    private static final Path ALLOWED = Path.of("/proc/sys/net/ipv4/tcp_allowed_congestion_control");

    /** True when the kernel's list in {@code file} names cubic. */
    private static boolean listed(Path file) throws java.io.IOException {
        return Files.isReadable(file) && List.of(Files.readString(file).trim().split("\\s+")).contains("cubic");
    }

    @Test
    void ranksOnOneHostTalkCubicByDefault() throws Exception {
        assumeTrue(Epoll.isAvailable() && TcpProbe.posixAvailable(), "needs the native epoll transport and JNA");
        assumeTrue(listed(AVAILABLE), "cubic is not available in this kernel");
        assumeTrue(listed(ALLOWED) || "root".equals(System.getProperty("user.name")),
                "cubic is not in net.ipv4.tcp_allowed_congestion_control, so this user may not set it");
        assertEquals(List.of("cubic", "cubic", "cubic within the host"), pairCongestion("auto"));
    }

    @Test
    void systemLeavesTheKernelsDefault() throws Exception {
        assumeTrue(Epoll.isAvailable() && TcpProbe.posixAvailable(), "needs the native epoll transport and JNA");
        assumeTrue(Files.isReadable(DEFAULT), "no " + DEFAULT);
        String system = Files.readString(DEFAULT).trim();
        assertEquals(List.of(system, system, system + " (the system's)"), pairCongestion("system"));
    }

    @Test
    void aNameTheKernelRefusesKeepsTheSystemsAndTheDescriptionSaysSo() throws Exception {
        assumeTrue(Epoll.isAvailable() && TcpProbe.posixAvailable(), "needs the native epoll transport and JNA");
        assumeTrue(Files.isReadable(DEFAULT), "no " + DEFAULT);
        String system = Files.readString(DEFAULT).trim();
        List<String> got = pairCongestion("nosuchalgo");
        assertEquals(List.of(system, system, system + " (the system's; nosuchalgo refused)"), got);
    }

    @Test
    void aMalformedNameIsRefusedNamingTheSetting() {
        System.setProperty(Knob.TCP_CONGESTION.propertyName(), "cubic; rm");
        try {
            InvalidUsageException e = assertThrows(InvalidUsageException.class, TcpCongestion::fromKnob);
            assertTrue(e.getMessage().contains("JCCL_TCP_CONGESTION"), e.getMessage());
        } finally {
            System.clearProperty(Knob.TCP_CONGESTION.propertyName());
        }
    }

    @Test
    void loopbackIsThisHostAndADocumentationAddressIsNot() throws Exception {
        assertTrue(TcpCongestion.sameHost(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1)));
        assertFalse(TcpCongestion.sameHost(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 1)));
    }

    /**
     * Connects ranks 0 and 1 over loopback with the setting; reads each end's congestion control, and what rank 0's
     * transport says of it.
     */
    private static List<String> pairCongestion(String setting) {
        NettyTransport[] pair = LoopbackPair.start(Knob.TCP_CONGESTION, setting);
        NettyTransport t0 = pair[0];
        NettyTransport t1 = pair[1];
        try {
            LoopbackPair.link(t0, t1, 1);
            return List.of(TcpProbe.congestionControl(t0.tcp(), 1), TcpProbe.congestionControl(t1.tcp(), 0),
                    TcpProbe.congestionDescription(t0.tcp()));
        } finally {
            t1.close();
            t0.close();
        }
    }
}
