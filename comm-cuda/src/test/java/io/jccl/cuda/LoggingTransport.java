package io.jccl.cuda;

import io.jccl.transport.HostLayout;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Progress;
import io.jccl.transport.Segment;
import io.jccl.transport.Transport;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Supplier;

/**
 * A transport that adds each send ({@code "send <byte offset> <length>"}) and each completed receive
 * ({@code "recv <length>"}) of its links to a log, in the order of the calls; everything else is the wrapped
 * transport's. For tests that assert an order of events.
 */
final class LoggingTransport implements Transport {
    private final Transport inner;
    private final List<String> log;

    LoggingTransport(Transport inner, List<String> log) {
        this.inner = inner;
        this.log = log;
    }

    @Override
    public int spiVersion() {
        return inner.spiVersion();
    }

    @Override
    public int rank() {
        return inner.rank();
    }

    @Override
    public int size() {
        return inner.size();
    }

    @Override
    public PeerLink link(int peer, long streamId, long deadlineNanos) {
        return new Logging(inner.link(peer, streamId, deadlineNanos), log);
    }

    @Override
    public HostLayout hostLayout() {
        return inner.hostLayout();
    }

    @Override
    public String describePeer(int peer) {
        return inner.describePeer(peer);
    }

    @Override
    public String describe() {
        return inner.describe();
    }

    @Override
    public void abort(long streamId, String reason) {
        inner.abort(streamId, reason);
    }

    @Override
    public void setProgressSource(long streamId, Supplier<Progress> source) {
        inner.setProgressSource(streamId, source);
    }

    @Override
    public List<Progress> queryProgress(long streamId, int[] peers, long timeoutNanos) {
        return inner.queryProgress(streamId, peers, timeoutNanos);
    }

    @Override
    public void close() {
        inner.close();
    }

    private record Logging(PeerLink link, List<String> log) implements PeerLink {
        @Override
        public int peer() {
            return link.peer();
        }

        @Override
        public long send(OpHeader header, long tag, ByteBuffer src, int offset, int length) {
            log.add("send " + offset + " " + length);
            return link.send(header, tag, src, offset, length);
        }

        @Override
        public void awaitSent(long ticket, long deadlineNanos) {
            link.awaitSent(ticket, deadlineNanos);
        }

        @Override
        public boolean isSent(long ticket) {
            return link.isSent(ticket);
        }

        @Override
        public long lastTicket() {
            return link.lastTicket();
        }

        @Override
        public boolean quiesce(long deadlineNanos) {
            return link.quiesce(deadlineNanos);
        }

        @Override
        public Segment recv(OpHeader header, long tag, long deadlineNanos) {
            Segment s = link.recv(header, tag, deadlineNanos);
            log.add("recv " + s.length());
            return s;
        }
    }
}
