package io.jccl.algo.select;

import io.jccl.InvalidUsageException;
import io.jccl.Knob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Saving, loading and finding the cost model file. */
class CostModelTest {
    private static CostModel sample() {
        return new CostModel(new LinkParams(3e-4, 8e-10, 1e-10), Map.of(4, new LinkParams(5e-4, 2e-9, 2.5e-10)),
                Map.of("transport", "tcp"));
    }

    @Test
    void saveThenLoadGivesTheSameModel(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.properties");
        sample().save(f);
        CostModel m = CostModel.load(f);
        assertEquals(sample().base(), m.base());
        assertEquals(sample().byWorld(), m.byWorld());
        assertEquals("tcp", m.info().get("transport"));
        assertEquals(new LinkParams(5e-4, 2e-9, 2.5e-10), m.params(4));
        assertEquals(m.base(), m.params(3), "an unmeasured W uses the base parameters");
        assertEquals(false, m.sharedHost());
        Path g = dir.resolve("shared.properties");
        new CostModel(m.base(), m.byWorld(), m.info(), true).save(g);
        assertEquals(true, CostModel.load(g).sharedHost());
    }

    @Test
    void theTreeMayHaveItsOwnLatencyPerWorldSize(@TempDir Path dir) throws Exception {
        CostModel m = sample().withTreeAlpha(4, 9e-4);
        assertEquals(new LinkParams(9e-4, 2e-9, 2.5e-10), m.params(4, Plan.TREE));
        assertEquals(new LinkParams(9e-4, 2e-9, 2.5e-10), m.params(4, "tree"));
        assertEquals(m.params(4), m.params(4, Plan.RING), "the ring and hd keep the W's alpha");
        assertEquals(m.params(4), m.params(4, "hd"));
        assertEquals(m.params(4, Plan.TREE), m.params(4, Plan.RECURSIVE_DOUBLING), "an rd step is a tree hop");
        assertEquals(m.params(4, Plan.TREE), m.params(4, "rd"));
        assertEquals(m.params(2), m.params(2, Plan.TREE), "no tree latency at W=2: the W's parameters");
        Path f = dir.resolve("tree.properties");
        m.save(f);
        assertTrue(Files.readString(f).contains("w.4.tree.alpha.seconds=9.0E-4"), Files.readString(f));
        CostModel back = CostModel.load(f);
        assertEquals(Map.of(4, 9e-4), back.treeAlphaByWorld());
        assertEquals(m.params(4, Plan.TREE), back.params(4, Plan.TREE));
        assertEquals(m.byWorld(), back.byWorld(), "the tree key is not read as a world's parameters");
        Files.writeString(f, Files.readString(f).replace("w.4.tree.alpha.seconds=9.0E-4", "w.4.tree.alpha.seconds=-1"));
        InvalidUsageException neg = assertThrows(InvalidUsageException.class, () -> CostModel.load(f));
        assertTrue(neg.getMessage().contains("w.4.tree.alpha.seconds=-1 must be a finite number >= 0"), neg.getMessage());
        assertEquals(1, neg.getMessage().split("cost model ", -1).length - 1, "the source named once: " + neg.getMessage());
        Files.writeString(f, Files.readString(f).replace("w.4.tree.alpha.seconds=-1", "w.4.tree.alpha.second=1e-5"));
        InvalidUsageException typo = assertThrows(InvalidUsageException.class, () -> CostModel.load(f));
        assertTrue(typo.getMessage().contains("unknown key w.4.tree.alpha.second "), typo.getMessage());
        Files.writeString(f, Files.readString(f).replace("w.4.tree.alpha.second=1e-5", "w.x.tree.alpha.seconds=1e-5"));
        InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> CostModel.load(f));
        assertTrue(e.getMessage().contains("w.x.tree.alpha.seconds"), e.getMessage());
    }

    @Test
    void largeCallsMayHaveABetaOfTheirOwn(@TempDir Path dir) throws Exception {
        CostModel m = sample().withTreeAlpha(4, 9e-4).withLarge(4, new CostModel.Large(8 << 20, 5e-9));
        assertEquals(m.params(4, Plan.RING), m.params(4, Plan.RING, (8 << 20) - 1), "below the size: the W's beta");
        assertEquals(m.params(4, Plan.RING).withBeta(5e-9), m.params(4, Plan.RING, 8 << 20));
        assertEquals(new LinkParams(9e-4, 5e-9, 2.5e-10), m.params(4, "tree", 64L << 20), "with the tree's own latency");
        assertEquals(m.params(2, Plan.RING), m.params(2, Plan.RING, 64L << 20), "no large beta at W=2");
        Path f = dir.resolve("large.properties");
        m.save(f);
        CostModel back = CostModel.load(f);
        assertEquals(m.largeByWorld(), back.largeByWorld());
        assertEquals(m.params(4, Plan.RING, 64L << 20), back.params(4, Plan.RING, 64L << 20));
        Files.writeString(f, Files.readString(f).replaceAll("w\\.4\\.large\\.from\\.bytes=\\d+\\n", ""));
        InvalidUsageException lone = assertThrows(InvalidUsageException.class, () -> CostModel.load(f));
        assertTrue(lone.getMessage().contains("missing key w.4.large.from.bytes"), lone.getMessage());
    }

    @Test
    void malformedFilesFailNamingTheProblem(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.properties");
        Files.writeString(f, "version=1\nalpha.seconds=1e-5\nbeta.seconds.per.byte=fast\ngamma.seconds.per.byte=0\n");
        InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> CostModel.load(f));
        assertTrue(e.getMessage().contains("beta.seconds.per.byte"), e.getMessage());
        Files.writeString(f, "alpha.seconds=1e-5\n");
        e = assertThrows(InvalidUsageException.class, () -> CostModel.load(f));
        assertTrue(e.getMessage().contains("version"), e.getMessage());
        Files.writeString(f, "version=1\nalpha.seconds=-1\nbeta.seconds.per.byte=1\ngamma.seconds.per.byte=0\n");
        assertThrows(InvalidUsageException.class, () -> CostModel.load(f));
        assertThrows(InvalidUsageException.class, () -> CostModel.load(dir.resolve("missing.properties")));
    }

    @Test
    void activeModelComesFromTheKnob(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.properties");
        sample().save(f);
        System.setProperty(Knob.COST_MODEL.propertyName(), f.toString());
        try {
            CostModel a = CostModel.active();
            assertEquals(sample().base(), a.base());
            assertSame(a, CostModel.active(), "loaded once per path");
            System.setProperty(Knob.COST_MODEL.propertyName(), dir.resolve("none").toString());
            InvalidUsageException e = assertThrows(InvalidUsageException.class, CostModel::active);
            assertTrue(e.getMessage().contains("JCCL_COST_MODEL"), e.getMessage());
        } finally {
            System.clearProperty(Knob.COST_MODEL.propertyName());
        }
        assertNull(CostModel.active());
    }
}
