package io.jccl;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A knob's value: the system property first (read on every call), then the environment, then the default. */
class KnobTest {
    @Test
    void aPropertySetOrClearedLaterIsSeenByTheNextRead() {
        Knob k = Knob.HD_MAX_BYTES;
        String env = System.getenv(k.envName());
        String expectedWithout = env == null || env.isBlank() ? k.defaultValue() : env.trim();
        assertEquals(expectedWithout, k.get());
        System.setProperty(k.propertyName(), " 12345 ");
        try {
            assertEquals("12345", k.get(), "a property set after the first read wins, trimmed");
            assertEquals(12345, k.getLong());
        } finally {
            System.clearProperty(k.propertyName());
        }
        assertEquals(expectedWithout, k.get(), "cleared: back to the environment or the default");
    }

    @Test
    void theEnvironmentComesBeforeTheDefault() {
        Knob k = Knob.SEGMENT_BYTES;
        assertEquals("4096", k.get(Map.of(k.envName(), " 4096")));
        assertEquals(k.defaultValue(), k.get(Map.of(k.envName(), "  ")));
        assertEquals(k.defaultValue(), k.get(Map.of()));
    }
}
