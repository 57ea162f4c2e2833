package io.jccl.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Java snippets of the documentation (README.md and docs/*.md), each turned into a compilation unit. The
 * convention, also in docs/architecture.md:
 * <ul>
 *   <li>Every block fenced with {@code ```java} is compiled.</li>
 *   <li>A block that declares a top-level class, record, interface or enum is compiled as it stands (its file is
 *       named after the first type it declares).</li>
 *   <li>Any other block is a fragment: its {@code import} lines go to the top, the rest becomes the body of a
 *       method that may throw anything, in a class of its own that imports {@code io.jccl.*},
 *       {@code io.jccl.buffer.*}, {@code io.jccl.net.*}, {@code io.jccl.cuda.*}, {@code java.util.*} and
 *       {@code java.util.concurrent.*}.</li>
 *   <li>A fragment's first line may be {@code // given: TYPE NAME, TYPE NAME}: the names it uses without declaring
 *       them, which become the method's parameters.</li>
 * </ul>
 */
final class Snippets {
    private static final Pattern FENCE = Pattern.compile("^```java\\s*$");
    private static final Pattern TOP_LEVEL_TYPE = Pattern.compile(
            "^(?:public\\s+|final\\s+|abstract\\s+)*(?:class|record|interface|enum)\\s+(\\w+)", Pattern.MULTILINE);
    private static final Pattern GIVEN = Pattern.compile("^\\s*//\\s*given:\\s*(.+)$");
    static final List<String> FRAGMENT_IMPORTS = List.of("io.jccl.*", "io.jccl.buffer.*", "io.jccl.net.*",
            "io.jccl.cuda.*", "java.util.*", "java.util.concurrent.*");

    /** One ```java block: where it is and its text. */
    record Snippet(Path file, int line, String code) {
        /** The type a complete block declares, or null for a fragment. */
        String declaredType() {
            Matcher m = TOP_LEVEL_TYPE.matcher(code);
            return m.find() ? m.group(1) : null;
        }

        String where() {
            return file.getFileName() + ":" + line;
        }
    }

    /** A compilation unit: the file name of the class and its source. */
    record Unit(String className, String source, Snippet from) {
    }

    private Snippets() {
    }

    /** The repository's root: the system property jccl.home, else the parent of the working directory. */
    static Path home() {
        String h = System.getProperty("jccl.home");
        return (h != null ? Path.of(h) : Path.of("..")).toAbsolutePath().normalize();
    }

    /** README.md and every docs/*.md, in that order. */
    static List<Path> documents() {
        List<Path> docs = new ArrayList<>();
        docs.add(home().resolve("README.md"));
        try (Stream<Path> s = Files.list(home().resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    /** Every ```java block of {@code file}. */
    static List<Snippet> of(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Snippet> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (FENCE.matcher(lines.get(i)).matches()) {
                int start = i + 1;
                int end = start;
                while (end < lines.size() && !lines.get(end).startsWith("```")) {
                    end++;
                }
                if (end == lines.size()) {
                    throw new IllegalStateException(file + ":" + (i + 1) + ": a ```java block that never ends");
                }
                out.add(new Snippet(file, start, String.join("\n", lines.subList(start, end)) + "\n"));
                i = end;
            }
        }
        return out;
    }

    /** Every snippet of every document. */
    static List<Snippet> all() {
        List<Snippet> out = new ArrayList<>();
        for (Path d : documents()) {
            out.addAll(of(d));
        }
        return out;
    }

    /** The compilation unit of a snippet; {@code index} names a fragment's class uniquely. */
    static Unit unit(Snippet s, int index) {
        String type = s.declaredType();
        if (type != null) {
            return new Unit(type, s.code(), s);
        }
        String className = "Snippet" + index;
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        String params = "";
        boolean first = true;
        for (String line : s.code().split("\n", -1)) {
            Matcher g = GIVEN.matcher(line);
            if (first && g.matches()) {
                params = g.group(1).trim();
            } else if (line.startsWith("import ")) {
                imports.append(line).append('\n');
            } else {
                body.append("        ").append(line).append('\n');
            }
            first = first && line.isBlank();
        }
        StringBuilder src = new StringBuilder();
        src.append("// ").append(s.where()).append('\n');
        for (String i : FRAGMENT_IMPORTS) {
            src.append("import ").append(i).append(";\n");
        }
        src.append(imports);
        src.append("\n@SuppressWarnings(\"unused\")\nclass ").append(className).append(" {\n");
        src.append("    static void snippet(").append(params).append(") throws Exception {\n");
        src.append(body);
        src.append("    }\n}\n");
        return new Unit(className, src.toString(), s);
    }
}
