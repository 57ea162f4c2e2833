package io.jccl.net.tcp;

import io.jccl.net.wire.FrameDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

import java.nio.ByteBuffer;

/**
 * Netty's event loop reads a connection into one buffer of the connection's own, the same buffer read after read,
 * instead of taking a buffer from the pooled allocator for every socket read. A pooled buffer costs a wrapper
 * object from a recycler on each read and, for one read in 128, a leak-detector record with a stack trace: about
 * 5 KB per 64 MiB all-reduce at 2 ranks, the largest allocation left on the TCP path.
 *
 * <p>Only for connections whose first handler is a {@link FrameDecoder}, which consumes every read whole before
 * it releases it; never with TLS, whose handler may keep a read buffer as the start of its next record. The
 * buffer is handed out retained, so the decoder's release gives it back rather than freeing it. It grows to the
 * size the wrapped allocator asks for, up to {@code maxBytes}, and is freed by the garbage collector with the
 * connection.
 *
 * @param delegate sizes the reads, as it would for its own buffers
 * @param maxBytes the most a read asks for (and so the largest the buffer grows)
 */
@SuppressWarnings("deprecation") // Netty 4.2 deprecates RecvByteBufAllocator.Handle, still its read path's API
record ReusedReadBuffer(RecvByteBufAllocator delegate, int maxBytes) implements RecvByteBufAllocator {
    @Override
    public Handle newHandle() {
        return new ReusingHandle((RecvByteBufAllocator.ExtendedHandle) delegate.newHandle(), maxBytes);
    }

    private static final class ReusingHandle extends RecvByteBufAllocator.DelegatingHandle
            implements RecvByteBufAllocator.ExtendedHandle {
        private final RecvByteBufAllocator.ExtendedHandle extended;
        private final int maxBytes;
        private ByteBuf buffer;

        ReusingHandle(RecvByteBufAllocator.ExtendedHandle delegate, int maxBytes) {
            super(delegate);
            this.extended = delegate;
            this.maxBytes = maxBytes;
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            int want = Math.min(Math.max(guess(), 1), maxBytes);
            if (buffer == null || buffer.refCnt() != 1 || buffer.capacity() < want) {
                // a buffer still held elsewhere (refCnt above 1) is left to its holder: never read into it again
                buffer = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(want));
            }
            return buffer.retain().clear();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return extended.continueReading(maybeMoreDataSupplier);
        }
    }
}
