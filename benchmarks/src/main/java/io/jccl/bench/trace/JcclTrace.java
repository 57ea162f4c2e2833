package io.jccl.bench.trace;

import io.jccl.bench.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code bin/jccl-trace DIR}: merges the flight-recorder dumps that every rank wrote into {@code DIR}
 * ({@code jccl-trace-<job>-comm<id>-rank<r>.json}; {@code JCCL_TRACE_DIR}) and prints, per job and communicator, the first
 * operation where ranks disagree (a rank that never entered it, or ranks that called it with other arguments),
 * which ranks, and how far each got. Exit status 0 when the dumps were read (whatever they show), 2 when none
 * could be.
 */
@Command(name = "jccl-trace", mixinStandardHelpOptions = true,
        description = "Merges every rank's flight-recorder dump and names the first operation where ranks disagree.")
public final class JcclTrace implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "directory of the dumps (JCCL_TRACE_DIR of the job)")
    Path dir;

    public static void main(String[] args) {
        System.exit(Cli.run(new JcclTrace(), args));
    }

    @Override
    public Integer call() throws IOException {
        if (!Files.exists(dir)) {
            throw new IllegalArgumentException(dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a directory");
        }
        Map<String, List<RankDump>> byComm = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "jccl-trace-*rank*.json")) {
            for (Path f : files) {
                RankDump d = RankDump.read(f);
                byComm.computeIfAbsent(d.job() + "/" + Long.toUnsignedString(d.commId()), k -> new ArrayList<>())
                        .add(d);
            }
        }
        if (byComm.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds no flight-recorder dumps (jccl-trace-*-rank*.json)");
        }
        for (List<RankDump> dumps : byComm.values()) {
            if (byComm.size() > 1) {
                System.out.println();
            }
            TraceReport.analyse(dumps).forEach(System.out::println);
        }
        return 0;
    }
}
