package io.jccl.cuda;

import io.jccl.CommTimeoutException;
import io.jccl.InvalidUsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The copy lanes' ticket ring without a GPU: ticket numbers per direction, slots reused in a ring, a wait that
 * probes the slot of its ticket (or learns from an earlier wait that it is complete), fails at its deadline, and
 * passes on a device error; and {@link WholeStaging}'s argument check.
 */
class TicketRingTest {
    @Test
    void ticketsOfTheTwoDirectionsAreOddAndEven() {
        for (long n = 1; n < 100; n++) {
            long d2h = TicketRing.toHostTicket(n);
            long h2d = TicketRing.toDeviceTicket(n);
            assertTrue(TicketRing.isToHost(d2h));
            assertFalse(TicketRing.isToHost(h2d));
            assertEquals(n, TicketRing.copyNumber(d2h));
            assertEquals(n, TicketRing.copyNumber(h2d));
        }
    }

    @Test
    void copiesRecordInSlotsRoundTheRing() {
        TicketRing ring = new TicketRing("d2h", 4);
        List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            slots.add(ring.nextSlot());
            assertEquals(i + 1, ring.commit());
        }
        assertEquals(List.of(0, 1, 2, 3, 0, 1), slots);
        assertEquals(5, ring.heldBy(0));
        assertEquals(6, ring.heldBy(1));
        assertEquals(3, ring.heldBy(2));
        assertEquals(6, ring.committed());
    }

    @Test
    @Timeout(10)
    void aWaitProbesItsSlotUntilDoneAndLaterWaitsForEarlierCopiesProbeNothing() {
        TicketRing ring = new TicketRing("h2d", 8);
        for (int i = 0; i < 5; i++) {
            ring.commit();
        }
        List<Integer> probed = new ArrayList<>();
        int[] notReadyFor = {3};
        ring.await(4, far(), slot -> {
            probed.add(slot);
            return notReadyFor[0]-- <= 0;
        });
        assertEquals(List.of(3, 3, 3, 3), probed, "copy 4 records in slot 3; not ready three times, then done");
        assertEquals(4, ring.completed());
        ring.await(2, far(), slot -> {
            throw new AssertionError("copy 2 is known complete (copies complete in order): no probe");
        });
        ring.await(0, far(), slot -> {
            throw new AssertionError("ticket 0 needs no probe");
        });
    }

    @Test
    @Timeout(10)
    void aReusedSlotAnswersForItsLaterCopyWhichCompletesTheEarlierOneToo() {
        TicketRing ring = new TicketRing("d2h", 2);
        for (int i = 0; i < 5; i++) {
            ring.commit(); // slot 0 holds copy 5 now (1, 3, 5)
        }
        List<Integer> probed = new ArrayList<>();
        ring.await(1, far(), slot -> probed.add(slot));
        assertEquals(List.of(0), probed);
        assertEquals(5, ring.completed(), "the slot's event answered for copy 5: 1..5 are complete");
    }

    @Test
    void aTicketNeverIssuedIsAnError() {
        TicketRing ring = new TicketRing("d2h", 4);
        ring.commit();
        InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> ring.await(2, far(), s -> true));
        assertTrue(e.getMessage().contains("d2h copy ticket #2 was never issued (1 copies queued)"), e.getMessage());
    }

    @Test
    @Timeout(10)
    void aWaitEndsAtItsDeadline() {
        TicketRing ring = new TicketRing("h2d", 4);
        ring.commit();
        long deadline = System.nanoTime() + 50_000_000L;
        CommTimeoutException e = assertThrows(CommTimeoutException.class, () -> ring.await(1, deadline, s -> false));
        assertTrue(System.nanoTime() >= deadline);
        assertTrue(e.getMessage().contains("h2d copy #1 not complete by the deadline (0 of 1 known complete)"),
                e.getMessage());
        assertEquals(0, ring.completed());
    }

    @Test
    void aDeviceErrorPassesThroughAndCompletesNothing() {
        TicketRing ring = new TicketRing("d2h", 4);
        ring.commit();
        IllegalStateException failure = new IllegalStateException("copy failed");
        assertSame(failure, assertThrows(IllegalStateException.class, () -> ring.await(1, far(), s -> {
            throw failure;
        })));
        assertEquals(0, ring.completed());
    }

    @Test
    void aRingHasASlot() {
        assertThrows(IllegalArgumentException.class, () -> new TicketRing("d2h", 0));
    }

    @Test
    void wholeStagingNeedsABuffer() {
        InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> WholeStaging.of(null));
        assertEquals("WholeStaging.of: buffer is null", e.getMessage());
    }

    private static long far() {
        return System.nanoTime() + 5_000_000_000L;
    }
}
