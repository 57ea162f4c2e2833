package io.jccl.bench;

import io.jccl.InvalidUsageException;
import io.jccl.JcclException;
import picocli.CommandLine;

/**
 * Runs a picocli command the way every JCCL tool does: a bad argument (an {@link IllegalArgumentException}
 * from checking the options, such as an unknown type or a size that does not parse) or bad settings (an
 * {@link InvalidUsageException}: a knob's value, a cost model file, arguments the ranks disagree on; its message
 * names the problem and the rank) print one line and exit with status 2, like picocli's own usage errors; a
 * failed job (any other {@link JcclException}: a peer lost, a deadline passed) prints its message on one line and
 * exits with status 1; anything else keeps its stack trace.
 */
public final class Cli {
    private Cli() {
    }

    /** What {@code -V} prints: JCCL's version and the JVM's. */
    public static String versionLine() {
        return "jccl " + io.jccl.Jccl.version() + ", java " + Runtime.version() + " (" + System.getProperty("java.vm.name")
                + ")";
    }

    /** Executes {@code command} on {@code args}; returns the exit status. */
    public static int run(Object command, String[] args) {
        CommandLine cl = new CommandLine(command);
        if (cl.getCommandSpec().version().length == 0) {
            cl.getCommandSpec().version(versionLine());
        }
        // an option that does not parse (a letter for a number, an unknown option): its message and a hint, not the
        // whole usage, which under a launcher every rank prints
        cl.setParameterExceptionHandler((ex, given) -> {
            CommandLine line = ex.getCommandLine();
            line.getErr().println(line.getCommandName() + ": " + ex.getMessage());
            line.getErr().println("(" + line.getCommandName() + " --help lists the options)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof InvalidUsageException) {
                line.getErr().println(line.getCommandName() + ": " + ex.getMessage());
                if (ex instanceof IllegalArgumentException) {
                    line.getErr().println("(" + line.getCommandName() + " --help lists the options)");
                }
                return 2;
            }
            if (ex instanceof JcclException) {
                // the job failed (a peer lost, a deadline passed): the message names the rank, peer and call;
                // the stack trace adds nothing for a user of the tool
                line.getErr().println(line.getCommandName() + ": " + ex.getMessage());
                return 1;
            }
            throw ex;
        });
        return cl.execute(args);
    }
}
