package io.tokenmeter.bills;

/** One data row of a FOCUS file, whatever its format: the values of the columns the reader uses. */
interface FocusRow {

    /** The value as text, stripped; null when the column is absent or the value empty. */
    String get(FocusColumn column);

    /** The row as written, for a problem. */
    String raw();
}
