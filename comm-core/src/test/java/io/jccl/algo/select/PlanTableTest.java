package io.jccl.algo.select;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.InvalidUsageException;
import io.jccl.Knob;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Plan} is the one table of algorithms: the public {@link Algorithm} names, the {@code JCCL_ALGO} knob,
 * the README and the selector's candidates all list the same all-reduces.
 */
class PlanTableTest {
    /** The labels of the all-reduces that {@code JCCL_ALGO} may force, from the table. */
    private static Set<String> forcible() {
        Set<String> s = new TreeSet<>();
        for (Plan p : Plan.values()) {
            if (p.autoAllReduce()) {
                s.add(p.label());
            }
        }
        return s;
    }

    @Test
    void everyForcibleAlgorithmIsAnAllReduceOfTheTableAndBack() {
        Set<String> names = new TreeSet<>();
        for (Algorithm a : Algorithm.values()) {
            if (a != Algorithm.AUTO) {
                assertEquals(a.label(), Plan.forced(a).label(), a.name());
                assertEquals(a, Algorithm.parse(a.label()));
                names.add(a.label());
            }
        }
        assertEquals(forcible(), names, "Algorithm's constants and Plan's all-reduces are one list");
    }

    @Test
    void knobReadmeAndParseErrorListEveryAlgorithm() throws IOException {
        String knob = Knob.ALGO.description();
        String readmeRow = Files.readAllLines(Path.of("..", "README.md")).stream()
                .filter(l -> l.startsWith("| `JCCL_ALGO`")).findFirst()
                .orElseThrow(() -> new AssertionError("README has no JCCL_ALGO row"));
        InvalidUsageException e = assertThrows(InvalidUsageException.class, () -> Algorithm.parse("nope"));
        List<String> missing = new ArrayList<>();
        for (String label : forcible()) {
            for (String[] where : new String[][] {{"knob", knob}, {"README", readmeRow}, {"parse error", e.getMessage()}}) {
                if (!where[1].matches("(?s).*\\b" + label + "\\b.*")) {
                    missing.add(label + " in " + where[0]);
                }
            }
        }
        assertTrue(missing.isEmpty(), "not listed: " + missing);
    }

    @Test
    void everyCandidateIsCostedAndRunnableAndTheRestAreNot() {
        LinkParams p = new LinkParams(1e-5, 1e-9, 1e-10);
        for (Plan plan : Plan.values()) {
            if (plan.autoAllReduce()) {
                assertTrue(plan.allReduceSeconds(p, 1 << 20, 4, 1 << 19, false) > 0, plan.label());
            } else if (plan != Plan.DETERMINISTIC) {
                assertThrows(UnsupportedOperationException.class,
                        () -> plan.allReduceSeconds(p, 1 << 20, 4, 1 << 19, false), plan.label());
                assertThrows(UnsupportedOperationException.class, () -> plan.allReduce(null, null, null, 1),
                        plan.label());
            }
            assertEquals(plan, Plan.byLabel(plan.label()), "labels are unique");
        }
    }

    @Test
    void theCostModelTravelsInTheConfig() {
        CostModel slowTree = CostModel.uniform(new LinkParams(1e-5, 1e-9, 1e-10)).withTreeAlpha(4, 1.0);
        CommConfig c = CommConfig.builder().algorithm(Algorithm.AUTO).deterministic(false).costModel(slowTree).build();
        assertNotNull(c.costModel());
        assertTrue(c.toBuilder().build().costModel() == slowTree, "toBuilder keeps the model");
        Plan chosen = Selector.allReduce(c, 4096, 4);
        assertTrue(chosen != Plan.TREE && chosen != Plan.RECURSIVE_DOUBLING,
                "a 1 s tree hop rules out tree and rd: " + chosen);
        assertEquals(Plan.TREE, Selector.allReduce(CommConfig.builder().algorithm(Algorithm.AUTO).deterministic(false)
                .costModel(null).rdMaxBytes(0).treeMaxBytes(1 << 20).build(), 4096, 4), "no model: thresholds");
    }
}
