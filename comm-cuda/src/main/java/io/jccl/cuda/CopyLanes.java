package io.jccl.cuda;

import io.jccl.InvalidUsageException;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.nio.ByteBuffer;

/**
 * A context's two copy lanes for the pipelined staging of {@link DeviceBuffer}s (docs/gpu.md, "The pipelined
 * path"): one CUDA stream per direction (device-to-host, host-to-device), as a GPU has a copy engine per direction,
 * each with a {@link TicketRing} of {@link #SLOTS} events (made on first use, {@code CU_EVENT_DISABLE_TIMING}):
 * a copy is queued with {@code cuMemcpy*Async} on its lane's stream and an event recorded after it is its ticket;
 * {@link #await} polls {@code cuEventQuery} until the deadline. The streams are blocking streams, so the copies stay
 * ordered with work on the legacy default stream, as the synchronous copies are.
 *
 * <p>Made by {@link CudaContext#copyLanes()} on first use and destroyed with the context's last reference; the
 * streams and events hold no reference of their own. Threading: thread-safe; copies queued from several threads
 * interleave in their lane, and a ticket still waits for every copy of its lane queued before it.
 */
final class CopyLanes {
    /** Events per direction: tickets further back than this wait for a later copy (longer, never too short). */
    static final int SLOTS = 1024;

    private final CudaContext context;
    private final Lane toHost;
    private final Lane toDevice;

    CopyLanes(CudaContext context) {
        this.context = context;
        context.makeCurrent();
        this.toHost = new Lane("d2h");
        boolean ok = false;
        try {
            this.toDevice = new Lane("h2d");
            ok = true;
        } finally {
            if (!ok) {
                toHost.destroy();
            }
        }
    }

    /**
     * Queues {@code length} bytes of {@code buf} from {@code offset} into {@code dst} at {@code dstOffset}; the
     * ticket (0 for 0 bytes).
     *
     * @throws InvalidUsageException as {@link DeviceBuffer#copyToHost}
     */
    long toHost(DeviceBuffer buf, long offset, ByteBuffer dst, int dstOffset, int length) {
        synchronized (toHost.ring) {
            return HostCopies.toHost(buf, "copyToHostAsync", offset, dst, dstOffset, length, toHost.stream)
                    ? TicketRing.toHostTicket(toHost.record()) : 0;
        }
    }

    /**
     * Queues {@code length} bytes of {@code src} from {@code srcOffset} to {@code buf} at {@code offset}; the ticket
     * (0 for 0 bytes).
     *
     * @throws InvalidUsageException as {@link DeviceBuffer#copyFromHost}
     */
    long toDevice(ByteBuffer src, int srcOffset, DeviceBuffer buf, long offset, int length) {
        synchronized (toDevice.ring) {
            return HostCopies.toDevice(buf, "copyFromHostAsync", src, srcOffset, offset, length, toDevice.stream)
                    ? TicketRing.toDeviceTicket(toDevice.record()) : 0;
        }
    }

    /**
     * Waits until copy {@code ticket} and every copy of its direction queued before it completed; 0 returns at once.
     *
     * @throws InvalidUsageException          when the ticket was never issued (or is negative)
     * @throws io.jccl.CommTimeoutException when the copies are not complete by {@code deadlineNanos}
     * @throws CudaException                  when a copy failed
     */
    void await(long ticket, long deadlineNanos) {
        if (ticket == 0) {
            return;
        }
        if (ticket < 0) {
            throw new InvalidUsageException("CUDA copy ticket " + ticket + " is negative");
        }
        Lane lane = TicketRing.isToHost(ticket) ? toHost : toDevice;
        context.makeCurrent();
        lane.ring.await(TicketRing.copyNumber(ticket), deadlineNanos, lane);
    }

    /** The host-to-device lane's stream, for work that must follow its copies in order (device-side reduction). */
    CUstream deviceStream() {
        return toDevice.stream;
    }

    /** A host-to-device ticket (even) recorded after everything queued on that lane so far. */
    long markDeviceLane() {
        synchronized (toDevice.ring) {
            context.makeCurrent();
            return TicketRing.toDeviceTicket(toDevice.record());
        }
    }

    /** Later copies of both lanes wait for {@code event} (no host synchronisation). */
    void waitFor(CUevent event) {
        context.makeCurrent();
        CudaException.check("cuStreamWaitEvent (d2h lane)", JCudaDriver.cuStreamWaitEvent(toHost.stream, event, 0));
        CudaException.check("cuStreamWaitEvent (h2d lane)", JCudaDriver.cuStreamWaitEvent(toDevice.stream, event, 0));
    }

    /** Destroys the streams and events; the context must be current and no copy still queued. */
    void destroy() {
        toHost.destroy();
        toDevice.destroy();
    }

    /** One direction: its stream, its events and their ring. */
    private static final class Lane implements TicketRing.Probe {
        final String name;
        final CUstream stream = new CUstream();
        final CUevent[] events = new CUevent[SLOTS];
        final TicketRing ring;

        Lane(String name) {
            this.name = name;
            this.ring = new TicketRing(name, SLOTS);
            CudaException.check("cuStreamCreate (" + name + " lane)",
                    JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_DEFAULT));
        }

        /** Records the completion of the copy just queued (caller holds the ring's monitor); its number. */
        long record() {
            int slot = ring.nextSlot();
            if (events[slot] == null) {
                CUevent e = new CUevent();
                CudaException.check("cuEventCreate (" + name + " lane)",
                        JCudaDriver.cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING));
                events[slot] = e;
            }
            CudaException.check("cuEventRecord (" + name + " lane)", JCudaDriver.cuEventRecord(events[slot], stream));
            return ring.commit();
        }

        @Override
        public boolean done(int slot) {
            int rc = JCudaDriver.cuEventQuery(events[slot]);
            if (rc == CUresult.CUDA_ERROR_NOT_READY) {
                return false;
            }
            CudaException.check("cuEventQuery (" + name + " lane)", rc);
            return true;
        }

        void destroy() {
            for (int i = 0; i < events.length; i++) {
                if (events[i] != null) {
                    JCudaDriver.cuEventDestroy(events[i]);
                    events[i] = null;
                }
            }
            JCudaDriver.cuStreamDestroy(stream);
        }
    }
}
