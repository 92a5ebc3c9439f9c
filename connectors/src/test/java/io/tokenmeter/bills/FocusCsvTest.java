package io.tokenmeter.bills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The RFC 4180 reader under the FOCUS CSV files. */
class FocusCsvTest {

    private static List<CsvRecords.Record> records(String text) throws IOException {
        return records(text, CsvRecords.DEFAULT_MAX_RECORD_CHARS);
    }

    private static List<CsvRecords.Record> records(String text, int maxRecordChars) throws IOException {
        List<CsvRecords.Record> records = new ArrayList<>();
        try (CsvRecords csv = new CsvRecords(new StringReader(text), maxRecordChars)) {
            CsvRecords.Record record;
            while ((record = csv.next()) != null) {
                records.add(record);
            }
        }
        return records;
    }

    @ParameterizedTest(name = "line ends {0}")
    @ValueSource(strings = {"\r\n", "\n"})
    void readsQuotedFieldsWithCommasDoubledQuotesAndLineBreaksKeepingTheLineEachRecordStartsOn(String end) throws IOException {
        String text = "a,b,c" + end
                + "\"x, y\",\"say \"\"hi\"\"\",plain" + end
                + "\"first" + end + "second" + end + "third\",,\"\"" + end
                + "last,row,here";

        List<CsvRecords.Record> records = records(text);

        assertThat(records).extracting(CsvRecords.Record::fields).containsExactly(
                List.of("a", "b", "c"),
                List.of("x, y", "say \"hi\"", "plain"),
                List.of("first" + end + "second" + end + "third", "", ""),
                List.of("last", "row", "here"));
        assertThat(records).extracting(CsvRecords.Record::line).containsExactly(1L, 2L, 3L, 6L);
        assertThat(records).extracting(CsvRecords.Record::error).containsOnlyNulls();
        assertThat(records.get(1).raw()).isEqualTo("\"x, y\",\"say \"\"hi\"\"\",plain");
    }

    @Test
    void skipsAByteOrderMarkAndBlankLines() throws IOException {
        List<CsvRecords.Record> records = records("\uFEFFChargeCategory,BilledCost\r\n\r\nUsage,1\r\n\r\n");

        assertThat(records).extracting(CsvRecords.Record::fields)
                .containsExactly(List.of("ChargeCategory", "BilledCost"), List.of("Usage", "1"));
        assertThat(records).extracting(CsvRecords.Record::line).containsExactly(1L, 3L);
    }

    @Test
    void keepsAQuoteInsideAnUnquotedFieldAsText() throws IOException {
        assertThat(records("12\" pipe,x\n").get(0).fields()).containsExactly("12\" pipe", "x");
    }

    @Test
    void marksTextAfterAClosingQuoteAsAnErrorOfThatRecordOnly() throws IOException {
        List<CsvRecords.Record> records = records("a,b\n\"x\"y,z\nc,d\n");

        assertThat(records.get(1).error()).isEqualTo("field 1 has text after its closing quote");
        assertThat(records.get(1).raw()).isEqualTo("\"x\"y,z");
        assertThat(records.get(2).fields()).containsExactly("c", "d");
        assertThat(records.get(2).error()).isNull();
    }

    @Test
    void marksAQuoteLeftOpenAtTheEndOfTheFile() throws IOException {
        List<CsvRecords.Record> records = records("a,b\nc,\"never closed\nmore");

        assertThat(records).hasSize(2);
        assertThat(records.get(1).error()).isEqualTo("field 2 opens a quote that is not closed before the end of the file");
        assertThat(records.get(1).line()).isEqualTo(2);
    }

    @Test
    void stopsAtARecordLongerThanTheLimitRatherThanHoldingTheRestOfTheFile() {
        assertThatThrownBy(() -> records("a,b\nc,\"" + "x".repeat(200) + "\n", 100))
                .isInstanceOf(CsvRecords.RecordTooLong.class)
                .hasMessage("the record starting at line 2 is longer than 100 characters (a quoted field that is never closed?)");
    }
}
