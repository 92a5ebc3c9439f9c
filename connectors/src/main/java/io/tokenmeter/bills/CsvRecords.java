package io.tokenmeter.bills;

import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 records from a character stream: fields separated by commas, quoted fields holding commas, doubled quotes
 * and line breaks, records ended by CRLF or LF, a UTF-8 byte order mark skipped. Each record keeps the line it starts
 * on and its text as written, so a bad row can be reported where and as it is.
 *
 * <p>Lenient where Excel and Azure are: a quote inside an unquoted field is kept as a character and blank lines are
 * skipped. Text after a closing quote and a quote still open at the end make the record an error, not the file.
 */
final class CsvRecords implements Closeable {

    /** One record; error says why it is malformed, else null. */
    record Record(List<String> fields, long line, String raw, String error) {
    }

    /** A record too long to be a row: most likely a quote that is never closed. */
    static final class RecordTooLong extends IOException {
        private static final long serialVersionUID = 1L;

        RecordTooLong(long line, int limit) {
            super("the record starting at line " + line + " is longer than " + limit
                    + " characters (a quoted field that is never closed?)");
        }
    }

    static final int DEFAULT_MAX_RECORD_CHARS = 1 << 20;

    private final Reader in;
    private final int maxRecordChars;
    private final char[] buffer = new char[64 * 1024];
    private int position;
    private int length;
    private boolean started;
    private long line = 1;

    CsvRecords(Reader in) {
        this(in, DEFAULT_MAX_RECORD_CHARS);
    }

    CsvRecords(Reader in, int maxRecordChars) {
        this.in = in;
        this.maxRecordChars = maxRecordChars;
    }

    /** The next record, or null at the end. */
    Record next() throws IOException {
        int c = read();
        if (!started) {
            started = true;
            if (c == '\uFEFF') {
                c = read();
            }
        }
        while (c == '\n' || c == '\r') {
            endOfLine(c);
            c = read();
        }
        if (c == -1) {
            return null;
        }
        long start = line;
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        StringBuilder raw = new StringBuilder();
        String error = null;
        boolean fieldStart = true;
        boolean quoted = false;
        boolean closed = false;
        int chars = 0;
        while (true) {
            if (c == -1) {
                if (quoted && error == null) {
                    error = "field " + (fields.size() + 1) + " opens a quote that is not closed before the end of the file";
                }
                fields.add(field.toString());
                break;
            }
            if (!quoted && (c == '\n' || c == '\r')) {
                endOfLine(c);
                fields.add(field.toString());
                break;
            }
            if (++chars > maxRecordChars) {
                throw new RecordTooLong(start, maxRecordChars);
            }
            keep(raw, c);
            if (quoted) {
                if (c != '"') {
                    if (c == '\n' || (c == '\r' && peek() != '\n')) {
                        line++;
                    }
                    field.append((char) c);
                } else if (peek() == '"') {
                    keep(raw, read());
                    field.append('"');
                } else {
                    quoted = false;
                    closed = true;
                }
                fieldStart = false;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                fieldStart = true;
                closed = false;
            } else if (c == '"' && fieldStart) {
                quoted = true;
                fieldStart = false;
            } else {
                if (closed && error == null) {
                    error = "field " + (fields.size() + 1) + " has text after its closing quote";
                }
                field.append((char) c);
                fieldStart = false;
            }
            c = read();
        }
        return new Record(fields, start, raw.toString(), error);
    }

    // The text as written goes into problems, shortened there; keeping a little more is enough to show it was longer.
    private static void keep(StringBuilder raw, int c) {
        if (raw.length() <= RowProblem.MAX_RAW_CHARS) {
            raw.append((char) c);
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private void endOfLine(int c) throws IOException {
        if (c == '\r' && peek() == '\n') {
            read();
        }
        line++;
    }

    private int read() throws IOException {
        if (position == length && !fill()) {
            return -1;
        }
        return buffer[position++];
    }

    private int peek() throws IOException {
        if (position == length && !fill()) {
            return -1;
        }
        return buffer[position];
    }

    private boolean fill() throws IOException {
        int n;
        do {
            n = in.read(buffer, 0, buffer.length);
        } while (n == 0);
        if (n < 0) {
            return false;
        }
        position = 0;
        length = n;
        return true;
    }
}
