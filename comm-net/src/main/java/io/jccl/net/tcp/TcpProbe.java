package io.jccl.net.tcp;

import io.netty.channel.Channel;

/**
 * What tests and diagnostics read of a rank's TCP connections, and nothing else does: how much ranks read their
 * sockets themselves, how often the event loop paused, the writers' frame counts, the congestion control in use.
 * Kept here so that the classes that carry traffic hold counters, not test accessors.
 *
 * <p>Stateless; each read is a snapshot (thread-safe, not atomic across calls).
 */
public final class TcpProbe {
    private TcpProbe() {
    }

    /**
     * {bytes of the connection to {@code peer} that this rank's threads read themselves ({@link SocketReader}), of
     * those the bytes read straight into a payload's buffer}; {0, 0} without a reader.
     */
    public static long[] rankReadBytes(TcpConnections tcp, int peer) {
        SocketReader r = socketReader(tcp, peer);
        return r == null ? new long[2] : r.rankBytes();
    }

    /** Times the event loop stopped watching the connection to {@code peer} while ranks read it. */
    public static long eventLoopPauses(TcpConnections tcp, int peer) {
        SocketReader r = socketReader(tcp, peer);
        return r == null ? 0 : r.pauses();
    }

    /** Resume timers started for the connection to {@code peer} ({@link SocketReader}). */
    public static long resumeTimers(TcpConnections tcp, int peer) {
        SocketReader r = socketReader(tcp, peer);
        return r == null ? 0 : r.resumeTimers();
    }

    /** What the transport's description says of congestion control. */
    public static String congestionDescription(TcpConnections tcp) {
        return tcp.congestion().describe();
    }

    /** The congestion control of the connection to {@code peer}, or null. */
    public static String congestionControl(TcpConnections tcp, int peer) {
        Channel ch = tcp.peer(peer).connected();
        return ch == null ? null : TcpCongestion.of(ch);
    }

    /** True when the C library's calls are bound ({@code dup(2)}, {@code setsockopt(2)}): ranks may read sockets. */
    public static boolean posixAvailable() {
        return Posix.AVAILABLE;
    }

    /** {frames sent whole by the direct path, frames handed to the event loop, queued frames made} of {@code w}. */
    static long[] writerCounts(ChannelWriter w) {
        synchronized (w) {
            return new long[] {w.directFrames, w.queuedFrames, w.framesMade};
        }
    }

    private static SocketReader socketReader(TcpConnections tcp, int peer) {
        Channel ch = tcp.peer(peer).connected();
        return ch == null ? null : SocketReader.of(ch);
    }
}
