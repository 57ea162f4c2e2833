package io.jccl;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's settings table and the {@link Knob} enum are the same table. */
class KnobTableTest {
    @Test
    void readmeListsEveryKnobWithItsPropertyUnitAndDefault() throws Exception {
        Path readme = Path.of("..", "README.md");
        String text = Files.readString(readme);
        for (Knob k : Knob.values()) {
            String row = text.lines().filter(l -> l.startsWith("| `" + k.envName() + "`")).findFirst()
                    .orElseThrow(() -> new AssertionError("README has no row for " + k.envName()));
            String[] cells = row.split("\\|");
            assertEquals("`" + k.propertyName() + "`", cells[2].trim(), row);
            assertEquals(k.unit(), cells[3].trim(), row);
            assertEquals(k.defaultValue(), cells[4].trim().replace("`", ""), row);
        }
    }

    @Test
    void propertyWinsOverEnvironmentAndSizesParse() {
        System.setProperty(Knob.SEGMENT_BYTES.propertyName(), "64K");
        try {
            assertEquals(65536, Knob.SEGMENT_BYTES.getLong());
        } finally {
            System.clearProperty(Knob.SEGMENT_BYTES.propertyName());
        }
        assertEquals(524288, Knob.SEGMENT_BYTES.getLong());
        assertEquals(64L << 20, Knob.parseSize("64M"));
        assertEquals(1L << 30, Knob.parseSize("1G"));
        assertEquals(8, Knob.parseSize("8"));
        System.setProperty(Knob.TIMEOUT_MS.propertyName(), "soon");
        try {
            InvalidUsageException e = assertThrows(InvalidUsageException.class, Knob.TIMEOUT_MS::getLong);
            assertTrue(e.getMessage().contains("JCCL_TIMEOUT_MS"), e.getMessage());
        } finally {
            System.clearProperty(Knob.TIMEOUT_MS.propertyName());
        }
    }
}
