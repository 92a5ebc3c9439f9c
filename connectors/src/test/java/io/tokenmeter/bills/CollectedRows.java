package io.tokenmeter.bills;

import io.tokenmeter.event.BillLine;
import java.util.ArrayList;
import java.util.List;

/** A sink that keeps what a run read, for assertions. */
final class CollectedRows implements RowSink {

    final List<BillLine> lines = new ArrayList<>();
    final List<RowProblem> problems = new ArrayList<>();
    RunRead read;

    static CollectedRows of(ExportRun run) {
        CollectedRows collected = new CollectedRows();
        collected.read = run.read(collected);
        return collected;
    }

    @Override
    public void line(BillLine line) {
        lines.add(line);
    }

    @Override
    public void problem(RowProblem problem) {
        problems.add(problem);
    }
}
