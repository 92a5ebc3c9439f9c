package io.tokenmeter.bills;

import io.tokenmeter.event.BillLine;

/** Where {@link ExportRun#read(RowSink)} hands each line and each problem, in file order, as it reads them. */
public interface RowSink {

    /** A row read into a line. */
    void line(BillLine line);

    /** A row skipped, a row kept with a warning, a file not read, or a run that does not add up. */
    void problem(RowProblem problem);
}
