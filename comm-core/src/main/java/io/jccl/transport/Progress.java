package io.jccl.transport;

/**
 * How far one rank got on one stream, as reported to a peer that asks after a timeout: the sequence
 * number of the last operation it entered (0 for none) and a description such as
 * {@code "in all_reduce #17"} or {@code "idle after all_reduce #16"}.
 *
 * @param rank the reporting rank (world rank)
 * @param seq  last operation entered
 * @param what description
 */
public record Progress(int rank, long seq, String what) {
}
