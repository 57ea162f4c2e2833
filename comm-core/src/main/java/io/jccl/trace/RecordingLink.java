package io.jccl.trace;

import io.jccl.transport.ForwardingLink;
import io.jccl.transport.OpHeader;
import io.jccl.transport.PeerLink;
import io.jccl.transport.Segment;

import java.nio.ByteBuffer;

/**
 * A {@link PeerLink} that tells the {@link FlightRecorder} (and the {@link Timeline} when one is written) what
 * each transfer of the running operation moved, then does what the link it wraps does. Made once per link, not
 * per operation; adds two array updates per transfer.
 *
 * <p>Threading: as the wrapped link.
 */
public final class RecordingLink extends ForwardingLink {
    private final int peer;
    private final FlightRecorder recorder;
    private final Timeline timeline;

    /**
     * @param peer     the peer's communicator rank (the recorder's index)
     * @param timeline the process's timeline, or null when none is written
     */
    public RecordingLink(PeerLink link, int peer, FlightRecorder recorder, Timeline timeline) {
        super(link);
        this.peer = peer;
        this.recorder = recorder;
        this.timeline = timeline;
    }

    @Override
    public long send(OpHeader header, long tag, ByteBuffer src, int offset, int length) {
        long t0 = timeline == null ? 0 : System.nanoTime();
        long ticket = link.send(header, tag, src, offset, length);
        recorder.sent(peer, tag, length);
        if (timeline != null) {
            timeline.transfer(header, "send", peer, tag, length, t0, System.nanoTime());
        }
        return ticket;
    }

    @Override
    public Segment recv(OpHeader header, long tag, long deadlineNanos) {
        long t0 = timeline == null ? 0 : System.nanoTime();
        Segment s = link.recv(header, tag, deadlineNanos);
        int bytes = s.length();
        recorder.received(peer, tag, bytes);
        if (timeline != null) {
            timeline.transfer(header, "recv", peer, tag, bytes, t0, System.nanoTime());
        }
        return s;
    }
}
