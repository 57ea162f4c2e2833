package io.jccl.net.shm;

import io.jccl.PeerFailureException;
import io.jccl.net.tcp.PeerStream;
import io.jccl.net.tcp.StreamLink;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;

import java.nio.ByteBuffer;

/**
 * A (peer, stream) link whose DATA goes through shared memory ({@link ShmPipe}) to a peer on this host. The peer's
 * TCP connection still carries the handshake, ABORT and status frames and judges failure: a send checks it
 * ({@link PeerStream#checkSend}) and the writer gives up queued sends when it breaks.
 *
 * <p>Threading: as {@link PeerLink}.
 */
public final class ShmLink extends StreamLink {
    private final ShmPipe pipe;

    ShmLink(PeerStream state, ShmPipe pipe) {
        super(state);
        this.pipe = pipe;
    }

    @Override
    public long send(OpHeader h, long tag, ByteBuffer src, int offset, int length) {
        state.checkSend(h);
        return pipe.send(h, tag, src, offset, length);
    }

    @Override
    public boolean quiesce(long deadlineNanos) {
        RuntimeException b = state.broken();
        pipe.abandonPending(b != null ? b : new PeerFailureException(state.what() + ": the operation failed"));
        return tracker.awaitSettled(deadlineNanos);
    }

    @Override
    public Segment recv(OpHeader h, long tag, long deadlineNanos) {
        return pipe.recv(h, tag, deadlineNanos);
    }
}
