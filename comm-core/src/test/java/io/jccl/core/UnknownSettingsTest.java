package io.jccl.core;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class UnknownSettingsTest {
    @Test
    void aMisspelledSettingIsNamedWithTheNearestOneAndKnownNamesPass() {
        Set<String> lines = UnknownSettings.unknown(Map.of("JCCL_ALGOO", "ring", "JCCL_ALGO", "ring",
                "JCCL_HOME", "/opt/jccl", "JCCL_RESTART_COUNT", "0", "JCCL_FROBNICATE", "1", "PATH", "/bin"));
        assertEquals(Set.of(
                "JCCL_ALGOO is not a JCCL setting and is ignored (did you mean JCCL_ALGO?); README.md lists the settings",
                "JCCL_FROBNICATE is not a JCCL setting and is ignored; README.md lists the settings"), lines);
    }
}
