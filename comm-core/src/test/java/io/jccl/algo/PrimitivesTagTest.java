package io.jccl.algo;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.transport.OpHeader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link Primitives#tag}: the wire layout (phase 2 bits, step 30, segment 32) that {@code OpHeader} reads back. */
class PrimitivesTagTest {
    @Test
    void tagLayoutIsPhaseStepSegment() {
        assertEquals(0L, Primitives.tag(0, 0, 0));
        assertEquals(0x4000_0000_0000_0000L, Primitives.tag(1, 0, 0));
        assertEquals(0x8000_0003_0000_0007L, Primitives.tag(2, 3, 7));
        assertEquals(0xffff_ffff_ffff_ffffL, Primitives.tag(3, (1 << 30) - 1, -1));
        for (int phase = 0; phase < 4; phase++) {
            for (int step : new int[] {0, 1, 5, 1 << 20}) {
                for (int seg : new int[] {0, 1, 9, 1 << 30}) {
                    // segment k of a step is the step's tag plus k (Segments.sendRun relies on it)
                    assertEquals(Primitives.tag(phase, step, 0) | seg, Primitives.tag(phase, step, seg));
                }
            }
        }
    }

    @Test
    void messagesDescribeTheTransfer() {
        OpHeader h = new OpHeader(3, 9, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, 100);
        assertEquals("phase 2 step 3 segment 7", h.describeTag(Primitives.tag(2, 3, 7)));
        assertEquals("phase 3 step 1073741823 segment 4294967295", h.describeTag(Primitives.tag(3, (1 << 30) - 1, -1)));
    }
}
