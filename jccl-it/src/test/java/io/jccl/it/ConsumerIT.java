package io.jccl.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * JCCL as a library user gets it: the reactor's artifacts go into a temporary local repository laid out as
 * {@code mvn install} lays them out; a separate Maven project, whose dependencies are the README's "Use it from
 * Maven" block (comm-net through jccl-bom, an SLF4J binding) and whose one class is the README's example, is
 * built against that repository; and the program runs as 2 ranks under {@code bin/jccl-run}.
 *
 * <p>The nested build reads everything else (plugins, Netty, SLF4J) from the outer build's local repository as a
 * {@code file://} mirror of every repository, so it needs no network and writes nothing outside its directory.
 */
@Tag("slow")
class ConsumerIT {
    static final String EXAMPLE_CLASS = "AllReduceExample";
    private static final Pattern RANK_LINE = Pattern.compile(
            "\\[(\\d)] rank (\\d) of 2: element 0 = ([0-9.]+) \\(expected ([0-9.]+)\\)");

    /** The README's program: the ```java block that declares {@link #EXAMPLE_CLASS}. */
    static Snippets.Snippet readmeExample() {
        return Snippets.of(Snippets.home().resolve("README.md")).stream()
                .filter(s -> EXAMPLE_CLASS.equals(s.declaredType()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("README.md has no ```java block declaring " + EXAMPLE_CLASS));
    }

    /** The README's dependency block: the ```xml block that imports jccl-bom. */
    static String readmeDependencies() throws IOException {
        List<String> lines = Files.readAllLines(Snippets.home().resolve("README.md"));
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().equals("```xml")) {
                int end = i + 1;
                while (end < lines.size() && !lines.get(end).startsWith("```")) {
                    end++;
                }
                String block = String.join("\n", lines.subList(i + 1, end));
                if (block.contains("<artifactId>jccl-bom</artifactId>")) {
                    return block;
                }
                i = end;
            }
        }
        throw new AssertionError("README.md has no ```xml block importing jccl-bom");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aSeparateProjectBuildsAgainstTheArtifactsAndRunsAsTwoRanks() throws Exception {
        Path home = Snippets.home();
        String version = System.getProperty("jccl.version");
        Path outerRepo = Path.of(System.getProperty("jccl.outer.repo"));
        Path dir = Path.of(System.getProperty("jccl.it.dir", "target/consumer-it")).toAbsolutePath();
        deleteTree(dir);
        Path repo = dir.resolve("repo");
        Path project = dir.resolve("consumer");

        // 1. the artifacts, as install lays them out
        stage(repo, home.resolve("pom.xml"), null, "jccl-parent", version);
        stage(repo, home.resolve("jccl-bom/pom.xml"), null, "jccl-bom", version);
        stage(repo, home.resolve("native/pom.xml"), null, "jccl-native", version);
        for (String module : List.of("comm-core", "comm-net", "comm-cuda", "comm-launch")) {
            Path jar = home.resolve(module).resolve("target").resolve(module + "-" + version + ".jar");
            assertTrue(Files.isRegularFile(jar), jar + " is missing: build the reactor first (./mvnw verify)");
            stage(repo, home.resolve(module).resolve("pom.xml"), jar, module, version);
        }

        // 2. the project: the README's dependencies and example
        Files.createDirectories(project.resolve("src/main/java"));
        Files.writeString(project.resolve("src/main/java").resolve(EXAMPLE_CLASS + ".java"), readmeExample().code());
        Files.writeString(project.resolve("pom.xml"), consumerPom(readmeDependencies()));
        Files.writeString(dir.resolve("settings.xml"), """
                <settings>
                  <mirrors>
                    <mirror>
                      <id>outer-build</id>
                      <mirrorOf>*</mirrorOf>
                      <url>%s</url>
                    </mirror>
                  </mirrors>
                </settings>
                """.formatted(outerRepo.toUri()));

        Path buildLog = dir.resolve("build.log");
        int built = run(List.of(home.resolve("mvnw").toString(), "-B", "-q", "-s", dir.resolve("settings.xml").toString(),
                "-Dmaven.repo.local=" + repo, "-f", project.resolve("pom.xml").toString(), "package"),
                home, buildLog, 420);
        assertEquals(0, built, "the consumer project's build failed:\n" + tail(buildLog));
        Path app = project.resolve("target/app.jar");
        try (ZipFile z = new ZipFile(app.toFile())) {
            assertTrue(z.getEntry("io/jccl/net/NetCommunicators.class") != null, "comm-net is in the application");
            assertTrue(z.getEntry("org/slf4j/simple/SimpleLogger.class") != null, "the README's SLF4J binding is in it");
            assertFalse(z.stream().anyMatch(e -> e.getName().startsWith("picocli/")),
                    "picocli reached a library user's class path");
            assertFalse(z.stream().anyMatch(e -> e.getName().startsWith("io/jccl/launch/")),
                    "the launcher reached a library user's class path");
        }

        // 3. two ranks under the launcher
        Path runLog = dir.resolve("run.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int ran = run(List.of(home.resolve("bin/jccl-run").toString(), "-n", "2", "--timeout-seconds", "120",
                java, "-cp", app.toString(), EXAMPLE_CLASS), home, runLog, 180);
        String out = Files.readString(runLog);
        assertEquals(0, ran, "the example failed under jccl-run:\n" + out);
        assertFalse(out.contains("No SLF4J providers"), out);
        Matcher m = RANK_LINE.matcher(out);
        List<String> ranks = new ArrayList<>();
        while (m.find()) {
            assertEquals(m.group(1), m.group(2), "jccl-run's prefix and the rank: " + m.group());
            assertEquals(m.group(4), m.group(3), "the all-reduce's result: " + m.group());
            ranks.add(m.group(2));
        }
        ranks.sort(Comparator.naturalOrder());
        assertEquals(List.of("0", "1"), ranks, out);
    }

    private static String consumerPom(String dependencies) {
        String[] versions = System.getProperty("jccl.plugin.versions", "").split(",");
        StringBuilder plugins = new StringBuilder();
        for (String v : versions) {
            String[] kv = v.split("=");
            if (kv.length == 2) {
                plugins.append("""
                        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-%s-plugin</artifactId><version>%s</version></plugin>
                        """.formatted(kv[0], kv[1]));
            }
        }
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>com.example</groupId>
                  <artifactId>consumer</artifactId>
                  <version>1.0</version>
                  <properties>
                    <maven.compiler.release>17</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                    <maven.test.skip>true</maven.test.skip>
                  </properties>
                %s
                  <build>
                    <pluginManagement><plugins>
                %s    </plugins></pluginManagement>
                    <plugins>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-shade-plugin</artifactId>
                        <executions>
                          <execution>
                            <phase>package</phase>
                            <goals><goal>shade</goal></goals>
                            <configuration>
                              <outputFile>${project.build.directory}/app.jar</outputFile>
                              <createDependencyReducedPom>false</createDependencyReducedPom>
                            </configuration>
                          </execution>
                        </executions>
                      </plugin>
                    </plugins>
                  </build>
                </project>
                """.formatted(dependencies, plugins);
    }

    /** Puts {@code pom} (and {@code jar}, when not null) where {@code mvn install} would put io.jccl:artifact. */
    private static void stage(Path repo, Path pom, Path jar, String artifact, String version) throws IOException {
        Path d = repo.resolve("io/jccl").resolve(artifact).resolve(version);
        Files.createDirectories(d);
        Files.copy(pom, d.resolve(artifact + "-" + version + ".pom"), StandardCopyOption.REPLACE_EXISTING);
        if (jar != null) {
            Files.copy(jar, d.resolve(artifact + "-" + version + ".jar"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static int run(List<String> command, Path dir, Path log, long timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("MAVEN_CONFIG");
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s:\n" + tail(log));
        }
        return p.exitValue();
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
