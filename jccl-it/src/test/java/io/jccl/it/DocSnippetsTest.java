package io.jccl.it;

import org.junit.jupiter.api.Test;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every ```java block of README.md and docs/*.md compiles against the published modules (comm-core, comm-net,
 * comm-cuda, comm-launch, comm-ddp) with {@code -Xlint:all -Werror}, so the documentation's code cannot drift from the API.
 * The wrapping convention for fragments is {@link Snippets}'s (and docs/architecture.md's).
 */
class DocSnippetsTest {
    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String className, String code) {
            super(URI.create("string:///" + className + Kind.SOURCE.extension), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }

    @Test
    void everyJavaSnippetOfTheDocumentationCompiles() throws IOException {
        List<Snippets.Snippet> snippets = Snippets.all();
        assertFalse(snippets.isEmpty(), "no ```java block in " + Snippets.documents());
        List<Snippets.Unit> units = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < snippets.size(); i++) {
            Snippets.Unit u = Snippets.unit(snippets.get(i), i);
            assertTrue(names.add(u.className()), u.from().where() + ": a second snippet declares " + u.className());
            units.add(u);
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "run the tests on a JDK");
        Path out = Files.createTempDirectory("jccl-snippets");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<JavaFileObject> sources = new ArrayList<>();
        for (Snippets.Unit u : units) {
            sources.add(new Source(u.className(), u.source()));
        }
        List<String> options = List.of("--release", "17", "-proc:none", "-Xlint:all", "-Werror",
                "-classpath", System.getProperty("java.class.path"), "-d", out.toString());
        boolean ok;
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            ok = javac.getTask(null, files, diagnostics, options, null, sources).call();
        }
        if (!ok) {
            StringBuilder why = new StringBuilder("documentation snippets do not compile:\n");
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                String name = d.getSource() == null ? "" : Path.of(d.getSource().toUri().getPath()).getFileName().toString();
                Snippets.Unit u = units.stream().filter(x -> (x.className() + ".java").equals(name)).findFirst().orElse(null);
                why.append(u == null ? "" : u.from().where() + " (" + name + " line " + d.getLineNumber() + "): ")
                        .append(d.getKind()).append(": ").append(d.getMessage(null)).append('\n');
                if (u != null && u.from().declaredType() == null) {
                    why.append("  generated source:\n").append(u.source().indent(4));
                }
            }
            fail(why.toString());
        }
    }

    @Test
    void theReadmeCarriesNoCommitHashes() throws IOException {
        // dated sittings and the commits they measured belong in docs/performance.md
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\\b")
                .matcher(Files.readString(Snippets.home().resolve("README.md")));
        assertFalse(m.find(), () -> "README.md names a commit: " + m.group());
    }

    @Test
    void theReadmeExampleIsAProgram() {
        Snippets.Snippet example = ConsumerIT.readmeExample();
        assertEquals(ConsumerIT.EXAMPLE_CLASS, example.declaredType());
        assertTrue(example.code().contains("public static void main(String[] args)"), example.code());
    }

    @Test
    void aFragmentBecomesAMethodWithItsGivens() {
        Snippets.Snippet s = new Snippets.Snippet(Path.of("X.md"), 3,
                "// given: long count\nimport java.time.Duration;\nSystem.out.println(count + Duration.ZERO.toString());\n");
        Snippets.Unit u = Snippets.unit(s, 7);
        assertEquals("Snippet7", u.className());
        assertTrue(u.source().contains("static void snippet(long count) throws Exception {"), u.source());
        assertTrue(u.source().contains("import java.time.Duration;"), u.source());
        assertTrue(u.source().indexOf("import java.time.Duration;") < u.source().indexOf("class Snippet7"), u.source());
    }
}
