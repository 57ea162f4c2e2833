package io.jccl.net.tcp;

import io.jccl.net.wire.FrameDecoder;
import io.jccl.net.wire.FrameDescriptor;
import io.jccl.transport.Progress;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * How far ranks got: each stream's progress source on this rank, answered to a peer's STATUS_REQUEST, and this
 * rank's own queries, which send STATUS_REQUEST to peers and collect their STATUS_REPLY frames until a deadline.
 *
 * <p>Thread-safe. {@link #query} blocks its caller up to its timeout; the rest never blocks (event loop, or a rank
 * that reads its socket itself).
 */
public final class StatusQueries {
    private final TcpConnections tcp;
    private final ConcurrentHashMap<Long, Supplier<Progress>> sources = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, CompletableFuture<Progress>[]> queries = new ConcurrentHashMap<>();

    StatusQueries(TcpConnections tcp) {
        this.tcp = tcp;
    }

    /** As {@code Transport.setProgressSource}. */
    public void setSource(long stream, Supplier<Progress> source) {
        sources.put(stream, source);
    }

    /** A peer asked how far this rank got on {@code request.stream()}: answers on {@code ch}. */
    void answer(Channel ch, FrameDecoder.Control request) {
        Supplier<Progress> src = sources.get(request.stream());
        Progress p = src == null ? new Progress(tcp.rank(), 0, "has not created this communicator") : src.get();
        byte[] what = p.what().getBytes(StandardCharsets.UTF_8);
        int n = Math.min(what.length, FrameDescriptor.MAX_CONTROL_PAYLOAD);
        ByteBuf out = ch.alloc().buffer(FrameDescriptor.HEADER_BYTES + n);
        FrameDescriptor.writeControl(out, FrameDescriptor.TYPE_STATUS_REPLY, n, request.stream(), p.seq());
        out.writeBytes(what, 0, n);
        ChannelWriter.of(ch, TcpConnections.COPY_MAX_BYTES).writeControl(out);
    }

    /** {@code from}'s answer to a query of this rank (ignored when no query of its stream waits). */
    void replied(int from, FrameDecoder.Control reply) {
        CompletableFuture<Progress>[] waiting = queries.get(reply.stream());
        if (waiting != null) {
            waiting[from].complete(new Progress(from, reply.seq(), reply.payload().toString(StandardCharsets.UTF_8)));
        }
    }

    /** As {@code Transport.queryProgress}: the answers that came within {@code timeoutNanos}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public List<Progress> query(long stream, int[] ranks, long timeoutNanos) {
        int rank = tcp.rank();
        CompletableFuture<Progress>[] waiting = new CompletableFuture[tcp.size()];
        for (int i = 0; i < waiting.length; i++) {
            waiting[i] = new CompletableFuture<>();
        }
        queries.put(stream, waiting);
        try {
            long deadline = System.nanoTime() + timeoutNanos;
            for (int r : ranks) {
                Channel ch = r == rank ? null : tcp.peer(r).connected();
                if (ch == null || !ch.isActive()) {
                    continue;
                }
                ByteBuf out = ch.alloc().buffer(FrameDescriptor.HEADER_BYTES);
                FrameDescriptor.writeControl(out, FrameDescriptor.TYPE_STATUS_REQUEST, 0, stream, 0);
                ChannelWriter.of(ch, TcpConnections.COPY_MAX_BYTES).writeControl(out);
            }
            List<Progress> answers = new ArrayList<>();
            for (int r : ranks) {
                if (r == rank) {
                    continue;
                }
                try {
                    answers.add(waiting[r].get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (TimeoutException | ExecutionException e) {
                    // no answer: dead, frozen or never connected
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return answers;
        } finally {
            queries.remove(stream, waiting);
        }
    }
}
