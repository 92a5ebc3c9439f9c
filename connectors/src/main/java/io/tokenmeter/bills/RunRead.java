package io.tokenmeter.bills;

/**
 * What reading a run came to.
 *
 * @param rows data rows met in the files (lines plus rows skipped), the figure the manifest's dataRowCount counts
 * @param lines rows handed on as lines
 * @param skippedRows rows that became a problem instead
 * @param problems every problem handed on, warnings and file and run problems included
 */
public record RunRead(long rows, long lines, long skippedRows, long problems) {
}
