package io.jccl.cuda;

/**
 * The ordering of a collective's copies with a framework's stream ({@link DeviceBuffer#onStream}): before the first
 * copy an event recorded on the framework's stream makes the legacy default stream (where the synchronous copies
 * run) and, for pipelined staging, the context's copy lanes wait for the framework's work so far; after the last
 * copy an event recorded on the legacy stream makes the framework's stream wait for the copies (the lanes' copies
 * are complete by then: the staging waited for them). No host synchronisation either way ({@code cuStreamWaitEvent}).
 *
 * <p>Owns one {@link CudaEvent}, made on first use and destroyed by {@link #close()}. Threading: used by the thread
 * that runs the collective.
 */
final class StreamOrder implements AutoCloseable {
    private final CudaContext context;
    private final CudaStream stream;
    private CudaEvent event;

    StreamOrder(CudaContext context, CudaStream stream) {
        this.context = context;
        this.stream = stream;
    }

    /**
     * Before the first copy: the copies wait for the work queued on the stream so far; with {@code lanes} (the
     * pipelined staging's copy streams) the copies queued there too.
     */
    void begin(CopyLanes lanes) {
        if (event == null) {
            event = CudaEvent.create(context, false);
        }
        event.record(stream);
        event.waitOn(null);
        if (lanes != null) {
            lanes.waitFor(event.handle());
        }
    }

    /** After the last copy: work queued on the stream from now on waits for the copies. */
    void end() {
        if (event != null) {
            event.record(null);
            event.waitOn(stream);
        }
    }

    @Override
    public void close() {
        if (event != null) {
            event.close();
            event = null;
        }
    }
}
