package io.tokenmeter.bills;

import java.util.Set;

/** What a data file reader hands on while it reads one file: its columns, its rows, and what it could not read. */
interface RowVisitor {

    /**
     * The columns the file has, before any row.
     *
     * @return false to stop reading the file (a problem has been reported)
     */
    boolean columns(Set<FocusColumn> present);

    /** One data row. */
    void row(long line, FocusRow row);

    /** A row that could not be parsed (it is one of the file's rows), or the file or its rest not read. */
    void problem(RowProblem problem);
}
