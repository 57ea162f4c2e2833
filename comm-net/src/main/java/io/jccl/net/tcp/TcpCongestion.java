package io.jccl.net.tcp;

import io.jccl.InvalidUsageException;
import io.jccl.Knob;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * Sets the TCP congestion control of each rank-to-rank connection as it becomes active ({@link Knob#TCP_CONGESTION},
 * {@code setsockopt(TCP_CONGESTION)} through {@link Posix}), then leaves the pipeline.
 *
 * <p>Why: a pacing algorithm such as BBR, the system default on some machines (ours among them), spaces out a
 * socket's packets at its estimate of the path's rate, and over loopback that estimate holds collective traffic
 * back. Measured side by side on our 2-vCPU VM (2026-11-30, 2 processes, ring all-reduce over loopback TCP,
 * {@code bin/jccl-run -n 2 bin/jccl-perf -b 512K -e 8M -f 4 -n 100 --reps 3 --stat median}, the system default
 * switched between runs): 2 MiB took 0.61-0.71 ms with cubic against 1.60-1.94 ms with bbr. Between hosts the
 * system's choice is kept in {@code auto}: it may be deliberate there, and pacing is what BBR is for.
 *
 * <p>Only for the native epoll transport (NIO's sockets do not expose their descriptor). A refusal by the kernel
 * (an algorithm not loaded, or not in {@code net.ipv4.tcp_allowed_congestion_control} for an unprivileged process)
 * leaves the connection as it was, with a warning when the name was asked for explicitly.
 *
 * <p>Public for tools that open their own connections and should run them as JCCL does ({@code jccl-roofline}).
 * Stateless per connection; one shared instance. Thread-safe.
 */
@ChannelHandler.Sharable
public final class TcpCongestion extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(TcpCongestion.class);
    /** What {@code auto} picks for connections within a host. */
    static final String LOCAL_AUTO = "cubic";

    /** {@code auto}: cubic within the host, else the system's; {@code system}: never set; else this name always. */
    private final String setting;
    /** The kernel refused the name for some connection, or does not offer it (then connections run the system's). */
    private volatile boolean refused;

    private TcpCongestion(String setting) {
        this.setting = setting;
        String asked = setting.equals("auto") ? LOCAL_AUTO : setting;
        // a name this kernel does not offer will be refused; known now, before any connection exists
        this.refused = setsAny() && !kernelOffers(asked);
    }

    /** True when the kernel lists {@code name} as available (or the list cannot be read: then it may). */
    private static boolean kernelOffers(String name) {
        try {
            String list = java.nio.file.Files.readString(
                    java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_available_congestion_control"));
            return java.util.List.of(list.trim().split("\\s+")).contains(name);
        } catch (java.io.IOException | RuntimeException e) {
            return true;
        }
    }

    /**
     * The handler for the {@link Knob#TCP_CONGESTION} setting; with {@code system} it sets nothing
     * ({@link #setsAny} is false: leave it out of the pipeline) but still {@link #describe}s.
     *
     * @throws InvalidUsageException naming the knob when the value is not a plausible algorithm name
     */
    public static TcpCongestion fromKnob() {
        String v = Knob.TCP_CONGESTION.get().toLowerCase(java.util.Locale.ROOT);
        if (!v.matches("[a-z0-9_]{1,15}")) {
            throw new InvalidUsageException(Knob.TCP_CONGESTION.envName() + "=" + v
                    + ": expected auto, system or an algorithm name such as cubic or reno (at most 15 characters)");
        }
        return new TcpCongestion(v);
    }

    /** False for {@code system}: this handler would set nothing. */
    public boolean setsAny() {
        return !setting.equals("system");
    }

    /**
     * What the connections run, for a tool's header: "cubic within the host", "reno", "bbr (the system's)", or,
     * once the kernel has refused the asked name, "bbr (the system's; reno refused)".
     */
    public String describe() {
        String system = systemDefault() + " (the system's";
        if (!setsAny()) {
            return system + ")";
        }
        String asked = setting.equals("auto") ? LOCAL_AUTO : setting;
        if (refused) {
            return system + "; " + asked + " refused)";
        }
        return setting.equals("auto") ? LOCAL_AUTO + " within the host" : setting;
    }

    /** The kernel's default congestion control, or "unknown" where it cannot be read. */
    private static String systemDefault() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_congestion_control"))
                    .trim();
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        apply(ctx.channel());
        ctx.pipeline().remove(this);
        super.channelActive(ctx);
    }

    private void apply(Channel ch) {
        if (!(ch instanceof EpollSocketChannel ec) || !Posix.AVAILABLE) {
            return;
        }
        boolean auto = setting.equals("auto");
        if (auto && !sameHost(ch.remoteAddress())) {
            return;
        }
        String name = auto ? LOCAL_AUTO : setting;
        byte[] v = name.getBytes(StandardCharsets.US_ASCII);
        if (Posix.setsockopt(ec.fd().intValue(), Posix.IPPROTO_TCP, Posix.TCP_CONGESTION, v, v.length) != 0) {
            refused = true;
            String peer = ch.remoteAddress() instanceof InetSocketAddress isa && isa.getAddress() != null
                    ? isa.getAddress().getHostAddress() + ":" + isa.getPort() : String.valueOf(ch.remoteAddress());
            if (auto) {
                LOG.debug("TCP congestion control {} refused for the connection to {}; keeping the system's", name, peer);
            } else {
                LOG.warn("{}={}: the kernel refused it for the connection to {} (not loaded, or not in"
                        + " net.ipv4.tcp_allowed_congestion_control); the connection keeps the system's",
                        Knob.TCP_CONGESTION.envName(), name, peer);
            }
        }
    }

    /** The congestion control of {@code ch}'s socket, or null where it cannot be read (not epoll, no JNA). */
    static String of(Channel ch) {
        if (!(ch instanceof EpollSocketChannel ec) || !Posix.AVAILABLE) {
            return null;
        }
        byte[] v = new byte[16];
        int[] len = {v.length};
        if (Posix.getsockopt(ec.fd().intValue(), Posix.IPPROTO_TCP, Posix.TCP_CONGESTION, v, len) != 0) {
            return null;
        }
        int n = 0;
        while (n < len[0] && v[n] != 0) {
            n++;
        }
        return new String(v, 0, n, StandardCharsets.US_ASCII);
    }

    /** True when {@code remote} is an address of this host (loopback, or one of its interfaces). */
    public static boolean sameHost(java.net.SocketAddress remote) {
        if (!(remote instanceof InetSocketAddress isa) || isa.getAddress() == null) {
            return false;
        }
        InetAddress a = isa.getAddress();
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false;
        }
    }
}
