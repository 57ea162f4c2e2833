package io.jccl.cuda;

import io.jccl.InvalidUsageException;
import io.jccl.cuda.DeviceStaging.Action;
import io.jccl.cuda.DeviceStaging.Segment;
import io.jccl.cuda.DeviceStaging.Step;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class DeviceStagingTest {

    @ParameterizedTest
    @CsvSource({
            "0, 64, 4",
            "4, 64, 4",
            "64, 64, 4",
            "68, 64, 4",
            "1000, 64, 4",
            "1000, 63, 4",   // rounds down to 60
            "1000, 3, 4",    // rounds up to one element
            "24, 8, 8",
            "7, 2, 1",
            "67108864, 524288, 2",
    })
    void segmentsCoverTheRangeInOrder(long total, long segment, int elem) {
        DeviceStaging s = new DeviceStaging(total, segment, elem);
        long expectSeg = Math.max(elem, segment - segment % elem);
        assertEquals(expectSeg, s.segmentBytes());
        assertEquals((total + expectSeg - 1) / expectSeg, s.segmentCount());
        long next = 0;
        for (int i = 0; i < s.segmentCount(); i++) {
            Segment g = s.segment(i);
            assertEquals(i, g.index());
            assertEquals(next, g.offset(), "segment " + i + " starts where the previous ended");
            assertTrue(g.length() > 0 && g.length() <= s.segmentBytes(), "segment " + i + " length " + g.length());
            assertEquals(0, g.length() % elem, "whole elements");
            assertEquals(i % DeviceStaging.SLOTS, g.slot());
            assertTrue(g.length() <= s.slotBytes());
            next += g.length();
        }
        assertEquals(total, next, "segments cover [0, total)");
        assertThrows(IndexOutOfBoundsException.class, () -> s.segment(s.segmentCount()));
        assertThrows(IndexOutOfBoundsException.class, () -> s.segment(-1));
        checkSendPlan(s, s.sendPlan());
        checkReceivePlan(s, s.receivePlan(true), true);
        checkReceivePlan(s, s.receivePlan(false), false);
    }

    @Test
    void sendPlanForThreeSegmentsIsTheDocumentedOrder() {
        DeviceStaging s = new DeviceStaging(12, 4, 4);
        assertEquals("[COPY_TO_HOST(0), AWAIT_COPY_TO_HOST(0), COPY_TO_HOST(1), SEND(0), AWAIT_COPY_TO_HOST(1), "
                        + "AWAIT_SEND(0), COPY_TO_HOST(2), SEND(1), AWAIT_COPY_TO_HOST(2), SEND(2), AWAIT_SEND(1), "
                        + "AWAIT_SEND(2)]",
                s.sendPlan().toString());
        assertEquals("[RECV(0), COPY_TO_DEVICE(0), REDUCE_ON_DEVICE(0), RECV(1), COPY_TO_DEVICE(1), "
                        + "REDUCE_ON_DEVICE(1), AWAIT_DEVICE(0), RECV(2), COPY_TO_DEVICE(2), REDUCE_ON_DEVICE(2), "
                        + "AWAIT_DEVICE(1), AWAIT_DEVICE(2)]",
                s.receivePlan(true).toString());
    }

    @Test
    void rejectsBadSizes() {
        assertThrows(InvalidUsageException.class, () -> new DeviceStaging(-4, 4, 4));
        assertThrows(InvalidUsageException.class, () -> new DeviceStaging(6, 4, 4));
        assertThrows(InvalidUsageException.class, () -> new DeviceStaging(8, 0, 4));
        assertThrows(InvalidUsageException.class, () -> new DeviceStaging(8, 4, 0));
        assertThrows(InvalidUsageException.class, () -> new DeviceStaging(Long.MAX_VALUE - 7, 1, 1));
    }

    /**
     * Simulates the send plan: each segment is copied, awaited, sent and its send awaited exactly once, in
     * that order; a slot is overwritten only after the send of its previous occupant completed; the copy of
     * segment i+1 is queued before segment i is sent (the overlap); nothing is left in flight.
     */
    static void checkSendPlan(DeviceStaging s, List<Step> plan) {
        int n = s.segmentCount();
        Map<Integer, Integer> slotOwner = new HashMap<>();
        int[] state = new int[n]; // 0 none, 1 copying, 2 copied, 3 sending, 4 sent
        int[] copyAt = new int[n];
        int[] sendAt = new int[n];
        for (int k = 0; k < plan.size(); k++) {
            Step st = plan.get(k);
            int i = st.segment().index();
            assertEquals(s.segment(i), st.segment());
            switch (st.action()) {
                case COPY_TO_HOST: {
                    assertEquals(0, state[i], st + " twice");
                    Integer prev = slotOwner.get(st.segment().slot());
                    if (prev != null && state[prev] != 4) {
                        fail(st + " overwrites slot " + st.segment().slot() + " while segment " + prev + " is in state " + state[prev]);
                    }
                    slotOwner.put(st.segment().slot(), i);
                    state[i] = 1;
                    copyAt[i] = k;
                    break;
                }
                case AWAIT_COPY_TO_HOST:
                    assertEquals(1, state[i], st + " out of order");
                    state[i] = 2;
                    break;
                case SEND:
                    assertEquals(2, state[i], st + " before its copy landed");
                    state[i] = 3;
                    sendAt[i] = k;
                    break;
                case AWAIT_SEND:
                    assertEquals(3, state[i], st + " out of order");
                    state[i] = 4;
                    break;
                default:
                    fail("unexpected " + st + " in a send plan");
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals(4, state[i], "segment " + i + " not finished");
            if (i + 1 < n) {
                assertTrue(copyAt[i + 1] < sendAt[i], "copy of " + (i + 1) + " queued before send of " + i);
            }
        }
        assertEquals(4 * n, plan.size());
    }

    /** As {@link #checkSendPlan} for the receive side. */
    static void checkReceivePlan(DeviceStaging s, List<Step> plan, boolean reduce) {
        int n = s.segmentCount();
        Map<Integer, Integer> slotOwner = new HashMap<>();
        int[] state = new int[n]; // 0 none, 1 received, 2 copying, 3 reducing, 4 done
        int[] recvAt = new int[n];
        int[] copyAt = new int[n];
        for (int k = 0; k < plan.size(); k++) {
            Step st = plan.get(k);
            int i = st.segment().index();
            switch (st.action()) {
                case RECV: {
                    assertEquals(0, state[i], st + " twice");
                    Integer prev = slotOwner.get(st.segment().slot());
                    if (prev != null && state[prev] != 4) {
                        fail(st + " overwrites slot " + st.segment().slot() + " still used by segment " + prev);
                    }
                    slotOwner.put(st.segment().slot(), i);
                    state[i] = 1;
                    recvAt[i] = k;
                    break;
                }
                case COPY_TO_DEVICE:
                    assertEquals(1, state[i], st + " before its receive");
                    state[i] = 2;
                    copyAt[i] = k;
                    break;
                case REDUCE_ON_DEVICE:
                    assertTrue(reduce, "no reduction asked for");
                    assertEquals(2, state[i], st + " before its copy");
                    state[i] = 3;
                    break;
                case AWAIT_DEVICE:
                    assertEquals(reduce ? 3 : 2, state[i], st + " out of order");
                    state[i] = 4;
                    break;
                default:
                    fail("unexpected " + st + " in a receive plan");
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals(4, state[i], "segment " + i + " not finished");
            if (i + 1 < n) {
                assertTrue(copyAt[i] < recvAt[i + 1], "copy of " + i + " queued before receive of " + (i + 1));
            }
        }
        assertEquals((reduce ? 4 : 3) * n, plan.size());
    }
}
